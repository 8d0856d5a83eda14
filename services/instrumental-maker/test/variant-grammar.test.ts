import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodedDuration,
  imk,
  jobDetail,
  makeRoot,
  makeSong,
  publishLegacy,
  publishV1,
  readManifest,
  removeRoot,
} from './helpers.ts';

// The one grammar of a variant's key/tempo changes, in every place a user writes one (docs: "Key, tempo and
// the a cappella"): the worker's config (`variants: [instrumental, instrumental@-2]` was refused at start,
// "has no recipe"), a job's options (`@.8x` was rejected; `@10x` said "expected a name", not the range).
// Real `imk run --once` worker, real ffmpeg.
let root: string;
let run: Awaited<ReturnType<typeof imk>>;
const SECONDS = 2;

beforeAll(async () => {
  root = await makeRoot({
    pollMs: 100,
    variants: ['instrumental', 'instrumental@-2'],
    output: { format: 'flac' },
  });
  await makeSong(join(root, 'song.m4a'), SECONDS, 3);
  const job = (job_id: string, options?: Record<string, unknown>) =>
    publishV1(
      root,
      'other',
      {
        job_id,
        source_type: 'local',
        artist: 'A',
        title: job_id,
        audio_path: 'song.m4a',
        ...(options && { options }),
      },
      { 'song.m4a': join(root, 'song.m4a') },
    );
  await job('from_config');
  await job('short_tempo', { variants: ['vocals@.8x'], duplicates: 'process' });
  // As a producer that does not check its job.json writes it (publishV1 checks, and refuses it).
  await publishLegacy(
    root,
    'other',
    {
      job_id: 'tempo_10x',
      source_type: 'local',
      audio_path: 'song.m4a',
      options: { variants: ['instrumental@10x'] },
    },
    { 'song.m4a': join(root, 'song.m4a') },
  );
  run = await imk(['run', '--once', '--root', root]);
}, 240_000);
afterAll(() => removeRoot(root));

describe('variants with key/tempo changes, written as the docs say', () => {
  it('in config: the worker starts and makes each variant named there, at its key', async () => {
    expect(JSON.parse(String(run.stdout || '{}')), String(run.all)).toMatchObject({
      succeeded: 2,
      rejected: 1,
    });
    const manifest = await readManifest(root, 'from_config');
    expect(
      manifest.artifacts.filter((a) => a.kind === 'audio').map((a) => [a.variant, a.path, a.pitch]),
    ).toEqual([
      ['instrumental', 'files/audio/A - from_config.flac', undefined],
      ['instrumental@-2', 'files/audio/A - from_config (-2 semitones).flac', -2],
    ]);
  });

  it("in a job's options, a tempo without its leading 0 (@.8x) is made, 1.25x as long", async () => {
    const manifest = await readManifest(root, 'short_tempo');
    const audio = manifest.artifacts.filter((a) => a.kind === 'audio');
    expect(audio.map((a) => [a.variant, a.path, a.tempo])).toEqual([
      ['vocals@0.8x', 'files/audio/A - short_tempo (a cappella) (80% tempo).flac', 0.8],
    ]);
    // 1.25x as long as the same song's instrumental at tempo 1 (the first job), within 1 %.
    const slowed = await decodedDuration(join(root, 'outputs', 'short_tempo', audio[0]!.path));
    const kept = await decodedDuration(
      join(root, 'outputs', 'from_config', 'files/audio/A - from_config.flac'),
    );
    expect(Math.abs(slowed / kept - 1.25)).toBeLessThan(0.0125);
  });

  it("in a job's options, a tempo past the limit is refused saying the range", async () => {
    const detail = await jobDetail(root, 'tempo_10x');
    expect(detail.job).toMatchObject({ state: 'rejected' });
    expect(detail.job.last_error).toContain(
      'variant "instrumental@10x": tempo 10x is outside 0.5x…2.0x: give one in that range (@0.5x … @2x)',
    );
  });
});
