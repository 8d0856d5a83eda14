import { existsSync } from 'node:fs';
import { readdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROCESS_COUNTING_ENGINE,
  engineCalls,
  folderNames,
  imk,
  jobDetailFromCli,
  makeRoot,
  makeSong,
  makeVideo,
  publishV1,
  removeRoot,
} from './helpers.ts';

// The song and the cover of a job are opened once when it starts and read through that descriptor; the
// video of a bundle with a song and a video was opened then too, but one that could not be opened (a link,
// a FIFO, renamed away after the claim's check) was read by name again at the encode: whatever was there
// then was put under the instrumental and published as the job's video and source copy, while the output
// key had been computed without a video. Now such a job fails in the hash stage with VIDEO_UNREADABLE
// naming the job and the file (not retried: the bundle as it is cannot be made), and nothing is published.
// The bundle's video is a link to another video inside it when the job starts (the claim's check resolves
// links inside the bundle; the job's open refuses links), and the test engine renames that video over the
// link when it separates: on the old code the job went on and published the video read by name.
// Real `imk run`.
let root: string;
let summary: Record<string, unknown>;
let log: string;

beforeAll(async () => {
  root = await makeRoot((dir) => ({
    pollMs: 100,
    variants: ['instrumental'],
    retry: { maxAttempts: 1 },
    stemCache: { enabled: false },
    video: { instrumental: true, source: true },
    engine: {
      name: 'counting',
      module: PROCESS_COUNTING_ENGINE,
      params: {
        counterFile: engineCalls(dir),
        renameAtSeparate: { queues: join(dir, 'queues'), renames: { 'clip/real.mp4': 'clip/clip.mp4' } },
      },
    },
  }));
  await makeSong(join(root, 'song.m4a'), 2, 1);
  await makeVideo(join(root, 'clip.mp4'), join(root, 'song.m4a'), 2);
  await publishV1(
    root,
    'other',
    {
      job_id: 'linked_video',
      source_type: 'local',
      artist: 'A',
      title: 'Clip',
      audio_path: 'song.m4a',
      video_path: 'clip/clip.mp4',
    },
    {
      'song.m4a': join(root, 'song.m4a'),
      'clip/clip.mp4': join(root, 'clip.mp4'),
      'clip/real.mp4': join(root, 'clip.mp4'),
    },
  );
  // Ready, not yet claimed: the video becomes a link to the same video beside it (same bytes, same hash).
  const clip = join(root, 'queues', 'other', 'job_linked_video', 'clip');
  await rm(join(clip, 'clip.mp4'));
  await symlink('real.mp4', join(clip, 'clip.mp4'));
  const result = await imk(['run', '--once', '--root', root]);
  summary = JSON.parse(String(result.stdout || '{}')) as Record<string, unknown>;
  log = String(result.all);
}, 240_000);
afterAll(() => removeRoot(root));

describe('a video beside the song that cannot be opened when the job starts', () => {
  it('fails the job in the hash stage naming the job and the file, and publishes nothing', async () => {
    expect(summary, log).toMatchObject({ succeeded: 0, failed: 1 });
    const detail = await jobDetailFromCli(root, 'linked_video');
    expect(detail.job.state).toBe('failed');
    expect(detail.job.stage).toBe('hash');
    expect(detail.job.last_error).toContain('VIDEO_UNREADABLE');
    expect(detail.job.last_error).toMatch(
      /job linked_video: video_path "clip\/clip\.mp4" could not be opened/,
    );
    expect(detail.job.last_error).toContain('imk retry linked_video');
    // One attempt: the catalogue says the bundle as it is cannot be made (unprocessable).
    expect(detail.job.attempts).toBe(1);
    // Not read by name later: the engine never ran, and no outputs (no video) were published.
    expect(await folderNames(join(root, 'outputs'))).not.toContain('linked_video');
    expect(existsSync(engineCalls(root))).toBe(false);
    // The bundle is kept, with the link in it, among the failed.
    const failed = join(root, 'queues', 'other', 'failed');
    const [kept] = (await readdir(failed)).filter((n) => n.startsWith('job_linked_video'));
    expect(kept).toBeDefined();
    const entries = await readdir(join(failed, kept!, 'clip'), { withFileTypes: true });
    expect(entries.find((e) => e.name === 'clip.mp4')?.isSymbolicLink()).toBe(true);
  });
});
