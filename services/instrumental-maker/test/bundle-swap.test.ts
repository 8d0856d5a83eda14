import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROCESS_COUNTING_ENGINE,
  engineCalls,
  imk,
  makeCover,
  makeRoot,
  makeSong,
  makeVideo,
  publishV1,
  removeRoot,
} from './helpers.ts';

// A producer still writing into a bundle after it was claimed can swap one of its folders for a link to a
// folder elsewhere on this host. The claim checks every component and the decode is held inside the
// bundle, but the files read after separation were opened by name through the link: the video of a video
// job (put under the instrumental, and published as the "source" copy), the cover embedded in every file,
// and the song itself as the mixture stream of the .stem.mp4. The outside video, picture or song was
// published as this job's. Now every read of a bundle file is held inside the bundle: the job fails,
// naming the file and why, and nothing from elsewhere is published. The swap is made by the test engine
// when it is called (after the checks, the probe and the decode; before the encode). Real `imk run`.
let roots: string[] = [];
const results: Record<string, { summary: Record<string, unknown>; log: string }> = {};

async function rootFor(name: string, config: Record<string, unknown>): Promise<string> {
  const root = await makeRoot((dir) => ({
    pollMs: 100,
    variants: ['instrumental'],
    retry: { maxAttempts: 1 },
    stemCache: { enabled: false },
    engine: {
      name: 'counting',
      module: PROCESS_COUNTING_ENGINE,
      params: {
        counterFile: engineCalls(dir),
        swapAtSeparate: {
          queues: join(dir, 'queues'),
          folders: ['art', 'clip', 'a'],
          to: join(dir, 'elsewhere'),
        },
      },
    },
    ...config,
  }));
  roots.push(root);
  // The files elsewhere: another picture, another video, another song (each told apart by its size).
  await mkdir(join(root, 'elsewhere', 'art'), { recursive: true });
  await mkdir(join(root, 'elsewhere', 'clip'), { recursive: true });
  await mkdir(join(root, 'elsewhere', 'a'), { recursive: true });
  await makeCover(join(root, 'elsewhere', 'art', 'cover.png'), { color: 'green', size: 48 });
  await makeSong(join(root, 'elsewhere', 'a', 'song.m4a'), 3, 5);
  await makeVideo(join(root, 'elsewhere', 'clip', 'clip.mp4'), join(root, 'elsewhere', 'a', 'song.m4a'), 3);
  // The bundle's own.
  await makeSong(join(root, 'song.m4a'), 2, 1);
  await makeCover(join(root, 'cover.png'));
  await makeVideo(join(root, 'clip.mp4'), join(root, 'song.m4a'), 2);
  results[name] = { summary: {}, log: '' };
  return root;
}

const job = (id: string, extra: Record<string, unknown>) => ({
  job_id: id,
  source_type: 'local',
  artist: 'A',
  title: id,
  ...extra,
});

beforeAll(async () => {
  roots = [];
  // Kept stems (and their .stem.mp4), the instrumental video and the source copy: the defaults but stems.
  const all = await rootFor('all', { stems: { keep: true } });
  await publishV1(all, 'other', job('swap_cover', { audio_path: 'song.m4a', cover_path: 'art/cover.png' }), {
    'song.m4a': join(all, 'song.m4a'),
    'art/cover.png': join(all, 'cover.png'),
  });
  await publishV1(all, 'other', job('swap_mixture', { audio_path: 'a/song.m4a' }), {
    'a/song.m4a': join(all, 'song.m4a'),
  });
  await publishV1(all, 'youtube_video', job('swap_video', { video_path: 'clip/clip.mp4' }), {
    'clip/clip.mp4': join(all, 'clip.mp4'),
  });
  // Only the source copy of the video.
  const source = await rootFor('source', { video: { instrumental: false, source: true } });
  await publishV1(source, 'youtube_video', job('swap_source', { video_path: 'clip/clip.mp4' }), {
    'clip/clip.mp4': join(source, 'clip.mp4'),
  });
  for (const [name, root] of [
    ['all', all],
    ['source', source],
  ] as const) {
    const result = await imk(['run', '--once', '--root', root]);
    results[name] = {
      summary: JSON.parse(String(result.stdout || '{}')) as Record<string, unknown>,
      log: String(result.all),
    };
  }
}, 400_000);
afterAll(async () => {
  for (const root of roots) await removeRoot(root);
});

async function failure(root: string, queue: string, id: string): Promise<string> {
  const failed = join(root, 'queues', queue, 'failed');
  const [kept] = (await readdir(failed).catch(() => [])).filter((n) => n.startsWith(`job_${id}`));
  expect(kept, `${id} is not in ${queue}/failed`).toBeDefined();
  return (JSON.parse(await readFile(join(failed, kept!, 'imk-error.json'), 'utf8')) as { message: string })
    .message;
}

describe('a folder of a claimed bundle swapped for a link before the encode', () => {
  it('fails every such job; none succeeds with the files elsewhere', () => {
    expect(results.all!.summary, results.all!.log).toMatchObject({ succeeded: 0, failed: 3 });
    expect(results.source!.summary, results.source!.log).toMatchObject({ succeeded: 0, failed: 1 });
  });

  it.each([
    ['all', 'other', 'swap_cover', 'art/cover.png'],
    ['all', 'other', 'swap_mixture', 'a/song.m4a'],
    ['all', 'youtube_video', 'swap_video', 'clip/clip.mp4'],
    ['source', 'youtube_video', 'swap_source', 'clip/clip.mp4'],
  ])(
    '%s/%s: the error names %s and says it left the bundle; nothing is published',
    async (name, queue, id, file) => {
      const root = roots[name === 'all' ? 0 : 1]!;
      const message = await failure(root, queue, id);
      expect(message).toContain(file.split('/')[1]!);
      expect(message).toMatch(/moved out of|symbolic link/);
      expect(await readdir(join(root, 'outputs')).catch(() => [])).not.toContain(id);
    },
  );
});
