import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imk, makeRoot, makeSong, publishV1, readManifest, removeRoot } from './helpers.ts';

let root: string;
// 3 bytes a character (CJK): a 90-character YouTube title is 270 bytes, past the 255-byte limit of a name.
const TITLE = '夜に駆ける'.repeat(18);

beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, retry: { maxAttempts: 1 } });
  await makeSong(join(root, 'song.m4a'), 3);
  await publishV1(
    root,
    'other',
    {
      job_id: 'long_title',
      source_type: 'youtube',
      artist: 'YOASOBI',
      title: TITLE,
      audio_path: 'audio.m4a',
      options: { keep_stems: true },
    },
    { 'audio.m4a': join(root, 'song.m4a') },
  );
}, 60_000);
afterAll(() => removeRoot(root));

describe('a song whose title is longer than a file name may be', () => {
  it('is processed: every output file is named from the title, shortened to fit', async () => {
    const result = await imk(['run', '--once', '--root', root]);
    expect(JSON.parse(String(result.stdout))).toMatchObject({ succeeded: 1, failed: 0 });
    const manifest = await readManifest(root, 'long_title');
    expect(manifest.artifacts.length).toBeGreaterThan(3);
    for (const artifact of manifest.artifacts) {
      const name = artifact.path.split('/').at(-1)!;
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
    }
    const audio = await readdir(join(root, 'outputs', 'long_title', 'files', 'audio'));
    expect(audio.some((name) => name.startsWith('YOASOBI - 夜に駆ける'))).toBe(true);
    // No temp file left anywhere in the published folder.
    const all = await readdir(join(root, 'outputs', 'long_title'), { recursive: true });
    expect(all.filter((name) => name.includes('.tmp'))).toEqual([]);
  }, 180_000);
});
