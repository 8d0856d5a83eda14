// The edges of "not whole yet": a copy that stopped exactly between two MP4 boxes or two Ogg pages (every
// size it declares is met, the end is not there), and whole files of silence, which must never wait.
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, makeTempDir } from '../test/helpers.ts';
import { notWholeByBytes, notWholeByLength } from './not-whole.ts';
import { probeMedia } from './probe.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await makeTempDir()));
afterAll(async () => cleanup());

/** What the two rules say of `file`, as the inbox asks them: its bytes, then its stated length. */
async function notWhole(file: string): Promise<string | undefined> {
  const handle = await open(file);
  try {
    return (
      (await notWholeByBytes(handle)) ??
      (await notWholeByLength(file, await probeMedia(file, { handle }), { handle }))
    );
  } finally {
    await handle.close();
  }
}

describe('not whole yet', () => {
  it('an MP4 cut right after its frames, before its index, and an Ogg file cut right after a page', async () => {
    const m4a = join(dir, 'index-last.m4a');
    await generate(m4a, '-f', 'lavfi', '-i', 'sine=duration=4', '-c:a', 'aac');
    const bytes = await readFile(m4a);
    // The top-level boxes: ftyp, then the frames (mdat), then the index (moov); cut before moov.
    const moov = bytes.indexOf('moov') - 4;
    await writeFile(join(dir, 'cut.m4a'), bytes.subarray(0, moov));
    expect(await notWhole(join(dir, 'cut.m4a'))).toMatch(/^has no index yet/);

    const ogg = join(dir, 'whole.ogg');
    await generate(ogg, '-f', 'lavfi', '-i', 'sine=duration=4', '-c:a', 'libvorbis');
    const pages = await readFile(ogg);
    const lastPage = pages.lastIndexOf('OggS');
    await writeFile(join(dir, 'cut.ogg'), pages.subarray(0, lastPage));
    expect(await notWhole(join(dir, 'cut.ogg'))).toBe(
      'ends on an Ogg page that is not its last (no end-of-stream flag)',
    );
    expect(await notWhole(ogg)).toBeUndefined();
  });

  it('whole files of silence are whole, in every format (zeros of silence are not zeros not yet written)', async () => {
    const codecs: Record<string, string[]> = {
      mp3: ['-c:a', 'libmp3lame', '-b:a', '320k', '-write_xing', '0'],
      flac: ['-c:a', 'flac'],
      m4a: ['-c:a', 'aac', '-movflags', '+faststart'],
      opus: ['-c:a', 'libopus'],
      mkv: ['-c:a', 'flac'],
      wav: ['-c:a', 'pcm_s16le'],
    };
    for (const [ext, codec] of Object.entries(codecs)) {
      const file = join(dir, `silence.${ext}`);
      await generate(file, '-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=stereo', '-t', '8', ...codec);
      expect(await notWhole(file), ext).toBeUndefined();
    }
  });
});
