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
      // PCM in an MP4 (QuickTime) file, its index first: its frames end in zeros of silence too.
      m4a_pcm: ['-c:a', 'pcm_s16le', '-movflags', '+faststart', '-f', 'mov'],
      mov_pcm_be: ['-c:a', 'pcm_s24be', '-movflags', '+faststart', '-f', 'mov'],
    };
    for (const [ext, codec] of Object.entries(codecs)) {
      const file = join(dir, `silence.${ext.replace(/_.*/, '')}`);
      await generate(file, '-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=stereo', '-t', '8', ...codec);
      expect(await notWhole(file), ext).toBeUndefined();
    }
  });

  it('an MP3 whose Xing header overstates its length is whole when it ends on a whole frame, not when it ends inside one', async () => {
    const made = join(dir, 'made.mp3');
    await generate(
      made,
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=4',
      '-c:a',
      'libmp3lame',
      '-b:a',
      '128k',
    );
    const bytes = Buffer.from(await readFile(made));
    // The frame count of its Xing ("Info") header doubled: the file states 8 s and holds 4 (a real encoder's
    // or cutter's miscount; the file is whole).
    const info = bytes.indexOf('Info');
    bytes.writeUInt32BE(bytes.readUInt32BE(info + 8) * 2, info + 8);
    const over = join(dir, 'overstated.mp3');
    await writeFile(over, bytes);
    // Before: "holds 4.049 s of the 8.098 s its header declares", as a copy stopped half-way.
    expect(await notWhole(over)).toBeUndefined();
    // With the tags a tagger appends after the last frame (APEv2, then ID3v1).
    const apeFooter = Buffer.alloc(32);
    apeFooter.write('APETAGEX', 0, 'latin1');
    apeFooter.writeUInt32LE(2000, 8);
    apeFooter.writeUInt32LE(32, 12);
    const id3v1 = Buffer.concat([Buffer.from('TAG', 'latin1'), Buffer.alloc(125, 0x20)]);
    const tagged = join(dir, 'overstated-tagged.mp3');
    await writeFile(tagged, Buffer.concat([bytes, apeFooter, id3v1]));
    expect(await notWhole(tagged)).toBeUndefined();
    // Stopped mid-way, at any byte inside a frame: not whole.
    for (const fraction of [0.3, 0.5, 0.77]) {
      const cut = join(dir, `overstated-cut-${fraction}.mp3`);
      await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length * fraction)));
      expect(await notWhole(cut), String(fraction)).toMatch(
        /^holds [\d.]+ s of the 8\.098 s its header declares$/,
      );
    }
  });

  it('an M4A whose index came first and whose compressed frames are not written yet (zeros) still waits', async () => {
    // The same file shapes as the PCM ones above, compressed (AAC): its full size set first, half written.
    const m4a = join(dir, 'faststart.m4a');
    await generate(m4a, '-f', 'lavfi', '-i', 'sine=duration=8', '-c:a', 'aac', '-movflags', '+faststart');
    const bytes = await readFile(m4a);
    const filling = join(dir, 'filling.m4a');
    await writeFile(
      filling,
      Buffer.concat([bytes.subarray(0, bytes.length >> 1), Buffer.alloc(bytes.length - (bytes.length >> 1))]),
    );
    expect(await notWhole(filling)).toMatch(/^ends in zeros where its audio should be/);
  });
});
