import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imk, makeRoot, publishV1, readManifest, removeRoot } from './helpers.ts';

// An mp3 cut short (a download interrupted at 40 %) still decodes, to less than its header declares: the
// job succeeded with "files/audio/A - Cut.wav lasts 2.4 s but the input 6 s", which does not say that the
// input is what is wrong. The manifest now says the input decodes to less than it declares and may be cut
// short, naming it; a whole file gets no such warning.
let root: string;

beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, variants: ['instrumental'], output: { format: 'wav' } });
  const whole = join(root, 'whole.mp3');
  // With its Xing header (lame's default), which declares the whole length: the part kept says 6 s.
  await execa('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:duration=6',
    '-ac',
    '2',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '128k',
    whole,
  ]);
  const bytes = await readFile(whole);
  await writeFile(join(root, 'cut.mp3'), bytes.subarray(0, Math.floor(bytes.length * 0.4)));
  const job = { source_type: 'local', artist: 'A' };
  await publishV1(
    root,
    'other',
    { ...job, job_id: 'cut', title: 'Cut', audio_path: 'cut.mp3' },
    {
      'cut.mp3': join(root, 'cut.mp3'),
    },
  );
  await publishV1(
    root,
    'other',
    { ...job, job_id: 'whole', title: 'Whole', audio_path: 'whole.mp3' },
    {
      'whole.mp3': whole,
    },
  );
  const result = await imk(['run', '--once', '--root', root]);
  expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 2 });
}, 180_000);
afterAll(() => removeRoot(root));

describe('an input cut short', () => {
  it('is made, and its manifest says the input may be cut short, naming it', async () => {
    const manifest = await readManifest(root, 'cut');
    expect(manifest.warnings?.[0], JSON.stringify(manifest.warnings)).toMatch(
      /^the input cut\.mp3 decodes to 2\.\d+ s of the 6(\.\d+)? s its header declares: it may be cut short/,
    );
  });

  it('a whole file has no such warning', async () => {
    expect((await readManifest(root, 'whole')).warnings ?? []).toEqual([]);
  });
});
