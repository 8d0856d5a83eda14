// Renders (or finds cached) the General MIDI eval songs, tune songs first, printing seconds per song.
// Usage: node --import tsx packages/separation/bench/render-gm-corpus.ts [--split tune|test]
// The cache is $IMK_CORPUS_DIR or <tmp>/imk-corpus.
import { ensureGmCorpus } from '../src/gm-corpus/corpus.ts';
import { GM_SONGS } from '../src/gm-corpus/songs.ts';

const only = process.argv.includes('--split') ? process.argv[process.argv.indexOf('--split') + 1] : undefined;
const songs = [...GM_SONGS.filter((s) => s.split === 'tune'), ...GM_SONGS.filter((s) => s.split === 'test')];
for (const song of songs.filter((s) => only === undefined || s.split === only)) {
  const started = performance.now();
  await ensureGmCorpus({ songs: [song] });
  console.log(`${song.id} (${song.split}): ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
