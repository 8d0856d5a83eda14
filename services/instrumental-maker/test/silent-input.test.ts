import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imk, makeRoot, makeSong, publishV1, readManifest, removeRoot } from './helpers.ts';

// A silent input (a download that came down as silence, a muted export) made silent files and the job
// "succeeded" without a word: the user found out by listening. The manifest now says the input is silent,
// naming it; a song with sound gets no such warning.
let root: string;

beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, variants: ['instrumental', 'drums_only'] });
  const silence = join(root, 'silence.wav');
  await execa('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'anullsrc=r=44100:cl=stereo',
    '-t',
    '2',
    silence,
  ]);
  await makeSong(join(root, 'song.m4a'), 2, 1);
  const job = { source_type: 'local', artist: 'A' };
  await publishV1(
    root,
    'other',
    { ...job, job_id: 'silent', title: 'Quiet', audio_path: 'silence.wav' },
    {
      'silence.wav': silence,
    },
  );
  await publishV1(
    root,
    'other',
    { ...job, job_id: 'sound', title: 'Loud', audio_path: 'song.m4a' },
    {
      'song.m4a': join(root, 'song.m4a'),
    },
  );
  const result = await imk(['run', '--once', '--root', root]);
  expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 2 });
}, 180_000);
afterAll(() => removeRoot(root));

describe('a silent input', () => {
  it('is made, and its manifest says the input is silent, naming it', async () => {
    const warnings = (await readManifest(root, 'silent')).warnings ?? [];
    expect(warnings).toContainEqual(expect.stringMatching(/^the input silence\.wav is silent/));
  });

  it('a song with sound has no such warning', async () => {
    expect((await readManifest(root, 'sound')).warnings ?? []).not.toContainEqual(
      expect.stringContaining('is silent'),
    );
  });
});
