import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureSamplePeak } from '@imk/media';
import { imk, publishV1, readManifest, removeRoot, rootWithSeparatedSong } from './helpers.ts';

// A DJ saves a mix with the drums and bass pushed up (levels above 1), or a config recipe does: the sum
// goes over full scale. Written to 16-bit FLAC, every loud beat was cut flat (clipped), and nothing said
// so. Now the mix is turned down by one gain, just enough, and the manifest and the log say by how much.
// Real `imk run`, real decode of the written files.
let root: string;
const LOUD = { drums: 4, bass: 4, other: 4, vocals: 4 };

beforeAll(async () => {
  root = await rootWithSeparatedSong({
    pollMs: 100,
    variants: ['instrumental', 'loud'],
    recipes: { loud: { stems: LOUD, label: 'Loud' } },
    output: { format: 'flac', bitDepth: 16 },
  });
}, 120_000);
afterAll(() => removeRoot(root));

/** 16-bit samples of the decoded file at the largest value (cut flat). */
async function fullScaleSamples(file: string): Promise<number> {
  const { stdout } = await execa('ffmpeg', ['-v', 'error', '-i', file, '-f', 's16le', '-'], {
    encoding: 'buffer',
  });
  const buf = Buffer.from(stdout);
  let count = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) if (Math.abs(buf.readInt16LE(i)) >= 32767) count++;
  return count;
}

const peakDb = async (file: string) => 20 * Math.log10(await measureSamplePeak(file));

describe('a mix that would clip', () => {
  it("is turned down just enough; the job's other variants are left as they are", async () => {
    const manifest = await readManifest(root, 'song');
    const loud = manifest.artifacts.find((a) => a.variant === 'loud')!;
    const plain = manifest.artifacts.find((a) => a.variant === 'instrumental')!;
    const file = join(root, 'outputs', 'song', loud.path);
    expect(await fullScaleSamples(file)).toBe(0);
    expect(await peakDb(file)).toBeLessThanOrEqual(0);
    expect(await peakDb(file)).toBeGreaterThan(-0.05);
    // The stems at 4x: +12 dB over the song's own level, so turned down by several dB.
    expect(loud.gain_db).toBeLessThan(-3);
    expect(plain.gain_db).toBeUndefined();
  });

  it('saved from the mixer (a remix) is turned down too, and the log says so', async () => {
    await publishV1(
      root,
      'other',
      {
        job_id: 'remix_loud',
        source_type: 'remix',
        artist: 'A',
        title: 'Song',
        remix: { of: 'song', variant: 'pumped', stems: LOUD },
      },
      {},
    );
    const result = await imk(['run', '--once', '--root', root]);
    expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 1 });
    const manifest = await readManifest(root, 'song');
    const mix = manifest.artifacts.find((a) => a.variant === 'pumped')!;
    const file = join(root, 'outputs', 'song', mix.path);
    expect(await fullScaleSamples(file)).toBe(0);
    expect(await peakDb(file)).toBeLessThanOrEqual(0);
    expect(mix.gain_db).toBeLessThan(-3);
    // The earlier loud variant kept its note.
    expect(manifest.artifacts.find((a) => a.variant === 'loud')?.gain_db).toBeLessThan(-3);
    expect(String(result.all)).toContain(`${mix.path} turned down by ${-mix.gain_db!} dB`);
  }, 120_000);
});
