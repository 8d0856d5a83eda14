import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '@imk/protocol';
import {
  PROCESS_COUNTING_ENGINE,
  engineCalls,
  imk,
  jobDetail,
  makeRoot,
  makeSong,
  makeVideo,
  publishV1,
  readManifest,
  removeRoot,
} from './helpers.ts';

// A song fetched in mode "both" is two jobs: the audio-only download and the video. When the video's
// soundtrack is the same encode as the audio job's file (often so on YouTube), the two decode to the same
// samples and have the same stems: the pair is separated once, whichever job runs first or whether they run
// at the same time, and the files are those each job made when it separated the song itself.
let dir: string;
const roots: string[] = [];

/** The video of the same song: its picture, the song's own AAC stream copied (one encode) or encoded again. */
async function makeClip(file: string, song: string, sound: 'copied' | 'encoded'): Promise<void> {
  if (sound === 'encoded') return makeVideo(file, song, 3);
  await execa('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=15:duration=3', '-i', song],
    ...['-map', '0:v', '-map', '1:a', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
    ...['-c:a', 'copy', '-shortest', file],
  ]);
}

/** Both halves of the pair `yt_<id>_audio` / `yt_<id>_video`, as the YouTube retriever queues them. */
async function publishPair(root: string, id: string, song: string, clip: string): Promise<void> {
  const names = { source_type: 'youtube', artist: 'A', title: `Song ${id}` };
  await publishV1(
    root,
    'youtube_audio',
    { ...names, job_id: `yt_${id}_audio`, audio_path: 'song.m4a' },
    { 'song.m4a': song },
  );
  await publishV1(
    root,
    'youtube_video',
    { ...names, job_id: `yt_${id}_video`, video_path: 'clip.mp4', paired_audio_job: `yt_${id}_audio` },
    { 'clip.mp4': clip },
  );
}

/**
 * A root with these pairs, run once (`imk run --once`, its log at info): the builtin engine behind a counter
 * (engineCalls), given `engineParams` too.
 */
async function rootWith(
  config: Record<string, unknown>,
  pairs: [string, 'copied' | 'encoded'][],
  engineParams: Record<string, unknown> = {},
) {
  const root = await makeRoot((r) => ({
    pollMs: 100,
    retry: { maxAttempts: 1 },
    engine: {
      name: 'counting',
      module: PROCESS_COUNTING_ENGINE,
      params: { counterFile: engineCalls(r), ...engineParams },
    },
    ...config,
  }));
  roots.push(root);
  // Each kind of video has a song of its own: the audio job of one pair is no file of the other's.
  for (const [id, sound] of pairs)
    await publishPair(root, id, join(dir, `song-${sound}.m4a`), join(dir, `clip-${sound}.mp4`));
  const run = await imk(['run', '--once', '--root', root], { env: { IMK_LOG_LEVEL: 'info' } });
  expect(JSON.parse(String(run.stdout) || '{}'), String(run.all)).toMatchObject({
    succeeded: pairs.length * 2,
    failed: 0,
  });
  return { root, log: String(run.all) };
}

/** How the ledger says the job got its stems: `ok` (the engine ran), `cache_hit`, or none (not separated). */
async function separated(root: string, id: string): Promise<string | undefined> {
  const { stages } = await jobDetail(root, id);
  return stages.find((row) => row.stage === 'separate')?.outcome;
}

/** Each artifact's sha256, by kind/variant. */
async function filesOf(root: string, id: string): Promise<Record<string, string>> {
  const manifest = await readManifest(root, id);
  return Object.fromEntries(manifest.artifacts.map((a) => [`${a.kind}/${a.variant}`, a.sha256]));
}

async function engineRuns(root: string): Promise<number> {
  const text = await readFile(engineCalls(root), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.trim() !== '').length;
}

beforeAll(async () => {
  dir = await makeRoot({});
  roots.push(dir);
  for (const [sound, seed] of [
    ['copied', 2],
    ['encoded', 3],
  ] as const) {
    await makeSong(join(dir, `song-${sound}.m4a`), 3, seed, 'aac', seed);
    await makeClip(join(dir, `clip-${sound}.mp4`), join(dir, `song-${sound}.m4a`), sound);
  }
}, 60_000);
afterAll(async () => {
  for (const root of roots) await removeRoot(root);
});

describe('a song fetched in mode both', () => {
  it('is separated once when the video carries the same encode, and its files are those of a pair separated twice', async () => {
    const once = await rootWith({ concurrency: 1 }, [
      ['same', 'copied'],
      ['other', 'encoded'],
    ]);
    // One of the pair ran the engine, the other found its stems by the decoded audio.
    const outcomes = [
      await separated(once.root, 'yt_same_audio'),
      await separated(once.root, 'yt_same_video'),
    ];
    expect(outcomes.sort(), once.log).toEqual(['cache_hit', 'ok']);
    // A soundtrack encoded again is other samples: the video's instrumental is made of its own sound.
    expect(await separated(once.root, 'yt_other_audio')).toBe('ok');
    expect(await separated(once.root, 'yt_other_video')).toBe('ok');
    expect(await engineRuns(once.root)).toBe(3);

    // The same bundles without a stem cache: each job separates the song itself, as every video half did.
    const twice = await rootWith({ concurrency: 1, stemCache: { enabled: false } }, [['same', 'copied']]);
    expect(await engineRuns(twice.root)).toBe(2);
    for (const id of ['yt_same_audio', 'yt_same_video'])
      expect(await filesOf(once.root, id), id).toEqual(await filesOf(twice.root, id));

    // The video half's manifest says what it published: the video's sound, no audio file's settings.
    const half: Manifest = await readManifest(once.root, 'yt_same_video');
    expect(half.artifacts.map((a) => `${a.kind}/${a.variant}`).sort()).toEqual([
      'video/instrumental',
      'video/source',
    ]);
    expect(half.stems_generated).toBe(true);
    expect(half.options?.variants).toEqual(['instrumental']);
    expect(half.options?.output_format).toBeUndefined();
    expect(half.options?.keep_stems).toEqual([]);
  }, 300_000);

  it('is separated once when both halves run at the same time: the second waits for the first', async () => {
    // The engine takes 3 s more: the job that comes second to the separation finds the first in it.
    const both = await rootWith({ concurrency: 2 }, [['same', 'copied']], { delayMs: 3000 });
    const outcomes = [
      await separated(both.root, 'yt_same_audio'),
      await separated(both.root, 'yt_same_video'),
    ];
    expect(outcomes.sort(), both.log).toEqual(['cache_hit', 'ok']);
    expect(both.log).toMatch(/waiting for job yt_same_(audio|video), which is separating the same audio/);
    expect(await engineRuns(both.root)).toBe(1);
  }, 300_000);
});
