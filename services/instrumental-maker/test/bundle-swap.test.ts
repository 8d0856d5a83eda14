import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '@imk/fs-safe';
import { probeMedia } from '@imk/media';
import {
  PROCESS_COUNTING_ENGINE,
  engineCalls,
  imk,
  makeCover,
  makeRoot,
  makeSong,
  makeVideo,
  publishV1,
  readManifest,
  removeRoot,
} from './helpers.ts';

// A producer still writing into a bundle after it was claimed can swap one of its folders for a link to a
// folder elsewhere on this host. The claim checks every component and the decode is held inside the
// bundle, but the files read after separation were opened by name through the link: the video of a video
// job (put under the instrumental, and published as the "source" copy), the cover embedded in every file,
// and the song itself as the mixture stream of the .stem.mp4. The outside video, picture or song was
// published as this job's. Then every read of a bundle file was held inside the bundle (the job failed,
// naming the file); now the job's files are opened once when it starts and read from those descriptors,
// so the swap changes nothing and nothing from elsewhere is published. The swap is made by the test engine
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

/** The archived bundle of job `id` (succeeded or failed) and the names in it that are links now. */
async function archivedLinks(root: string, queue: string, id: string): Promise<string[]> {
  for (const state of ['succeeded', 'failed']) {
    const dir = join(root, 'queues', queue, state);
    const [kept] = (await readdir(dir).catch(() => [])).filter((n) => n.startsWith(`job_${id}`));
    if (kept === undefined) continue;
    const entries = await readdir(join(dir, kept), { withFileTypes: true });
    return entries.filter((e) => e.isSymbolicLink()).map((e) => e.name);
  }
  throw new Error(`job ${id} is not archived in ${queue}`);
}

async function artifact(root: string, id: string, variant: string, kind?: string): Promise<string> {
  const manifest = await readManifest(root, id);
  const found = manifest.artifacts.find(
    (a) => a.variant === variant && (kind === undefined || a.kind === kind),
  );
  expect(found, `${id} has no ${variant}`).toBeDefined();
  return join(root, 'outputs', id, found!.path);
}

describe('a folder of a claimed bundle swapped for a link before the encode', () => {
  // Every file of the bundle the job reads was opened when the job started, and is read from that
  // descriptor: the swap changes nothing the job reads. Before, each read opened the name again (held
  // inside the bundle, so the job failed, naming the file); what is asserted is the same: nothing from
  // elsewhere is published as this job's.
  it('makes every such job from the files it opened; none is made of the files elsewhere', async () => {
    expect(results.all!.summary, results.all!.log).toMatchObject({ succeeded: 3, failed: 0 });
    expect(results.source!.summary, results.source!.log).toMatchObject({ succeeded: 1, failed: 0 });
    const [all, source] = [roots[0]!, roots[1]!];
    // The engine did swap the folders (else the test proves nothing).
    expect(await archivedLinks(all, 'other', 'swap_cover')).toEqual(['art']);
    expect(await archivedLinks(all, 'other', 'swap_mixture')).toEqual(['a']);
    expect(await archivedLinks(all, 'youtube_video', 'swap_video')).toEqual(['clip']);
    expect(await archivedLinks(source, 'youtube_video', 'swap_source')).toEqual(['clip']);
    // The cover embedded is the bundle's 64×64 picture, not the 48×48 one elsewhere.
    const withCover = await probeMedia(await artifact(all, 'swap_cover', 'instrumental', 'audio'));
    expect(withCover.streams.find((st) => st.is_cover)?.width).toBe(64);
    // The .stem.mp4's mixture is the bundle's 2-s song, not the 3-s one elsewhere.
    const stemMp4 = await probeMedia(await artifact(all, 'swap_mixture', 'stem_mp4'));
    expect(stemMp4.streams.filter((st) => st.type === 'audio')[0]?.duration_sec).toBeLessThan(2.5);
    // The video under the instrumental, and the source copy, are the bundle's 2-s clip.
    const video = await probeMedia(await artifact(all, 'swap_video', 'instrumental', 'video'));
    expect(video.duration_sec).toBeLessThan(2.5);
    const copy = await artifact(source, 'swap_source', 'source');
    expect(await sha256File(copy)).toBe(await sha256File(join(source, 'clip.mp4')));
  });
});
