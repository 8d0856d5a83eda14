import { copyFile, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '@imk/fs-safe';
import { probeMedia } from '@imk/media';
import { jobWorkDirName, type Manifest } from '@imk/protocol';
import { firstOutput } from '@imk/fs-safe/testing';
import {
  PROCESS_COUNTING_ENGINE,
  engineCalls,
  imk,
  makeCover,
  makeRoot,
  makeSong,
  publishV1,
  readManifest,
  removeRoot,
} from './helpers.ts';

// The worker read a claimed bundle's song by name at each step: the hash (the claim's check of job.json's
// files[], or its own), the probe, the decode, the mixture stream of the .stem.mp4. A song replaced inside
// the claimed bundle (another file renamed over it) between two of them was separated while the hash of
// the first was recorded: the manifest's input.sha256 was not the song's, the stems were stored in the
// stem cache under that hash (a later job of the real song then took the other song's stems), and the
// .stem.mp4 held another song as its mixture. The song is now opened once when the job starts and every
// step reads that descriptor. Real `imk run`; the songs are told apart by their length (A 2 s, B 4 s).
// The descriptor's hash is also checked against job.json's files[]: a song replaced right after the claim's
// check is not the one declared, and the job fails saying so rather than make it (input-declared.test.ts).
const roots: string[] = [];
let watcher: ResultPromise | undefined;

// Holds the bundle's folder \`a\` open (it keeps its descriptor when the claim renames the bundle), and
// renames argv[2] over a/song.m4a as soon as the worker says the job has started: its work folder (argv[3]
// is where they are made, argv[4] the start of the job's name) appears once the claim is done, its check of
// the song (size and hash against job.json's files[]) with it, and before the job opens the song. Whatever
// the number of times the claim opens the song, the song is replaced right after the claim hashed it.
const REPLACE_WHEN_STARTED = `
import ctypes, os, sys, time
folder = os.open(os.path.join(sys.argv[1], 'a'), os.O_RDONLY | os.O_DIRECTORY)
work, prefix = sys.argv[3], sys.argv[4]
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init()
IN_CREATE = 0x100
print('watching', flush=True)
# The work folders' parent is made when the worker starts: until then, looked for every 10 ms.
while libc.inotify_add_watch(fd, work.encode(), IN_CREATE) < 0:
    time.sleep(0.01)
while not any(name.startswith(prefix) for name in os.listdir(work)):
    os.read(fd, 4096)
os.rename(sys.argv[2], 'song.m4a', dst_dir_fd=folder)
print('replaced', flush=True)
`;

async function rootWith(engine: (dir: string) => Record<string, unknown> = () => ({})): Promise<string> {
  const root = await makeRoot((dir) => ({
    pollMs: 100,
    variants: ['instrumental'],
    // flac: a file that embeds the cover.
    output: { format: 'flac' },
    stems: { keep: true },
    retry: { maxAttempts: 1 },
    engine: {
      name: 'counting',
      module: PROCESS_COUNTING_ENGINE,
      params: { counterFile: engineCalls(dir), ...engine(dir) },
    },
  }));
  roots.push(root);
  await makeSong(join(root, 'a.m4a'), 2, 3);
  await makeSong(join(root, 'b.m4a'), 4, 6);
  return root;
}

const job = (id: string, title: string) => ({
  job_id: id,
  source_type: 'local',
  artist: 'A',
  title,
  audio_path: 'a/song.m4a',
});

async function run(root: string): Promise<{ summary: Record<string, unknown>; log: string }> {
  const result = await imk(['run', '--once', '--root', root]);
  return {
    summary: JSON.parse(String(result.stdout || '{}')) as Record<string, unknown>,
    log: String(result.all),
  };
}

/** The song a manifest's input.sha256 names (a or b), and the length of every audio file made. */
async function madeOf(root: string, manifest: Manifest): Promise<{ hashed: string; lengths: number[] }> {
  const hashes = {
    a: await sha256File(join(root, 'a.m4a')),
    b: await sha256File(join(root, 'b.m4a')),
  };
  const hashed = Object.entries(hashes).find(([, sha]) => sha === manifest.input.sha256)?.[0] ?? 'neither';
  const lengths = manifest.artifacts.filter((a) => a.kind !== 'video').map((a) => a.duration_sec);
  return { hashed, lengths };
}

afterAll(async () => {
  watcher?.kill();
  for (const root of roots) await removeRoot(root);
});

describe('the song of a claimed bundle replaced while the job runs', () => {
  let root: string;
  let first: { summary: Record<string, unknown>; log: string };
  let again: { summary: Record<string, unknown>; log: string };
  beforeAll(async () => {
    root = await rootWith();
    await publishV1(root, 'other', job('early', 'Early'), { 'a/song.m4a': join(root, 'a.m4a') });
    const bundle = join(root, 'queues', 'other', 'job_early');
    await copyFile(join(root, 'b.m4a'), join(root, 'b-copy.m4a'));
    const work = join(root, 'state', 'tmp', 'instrumental-maker');
    watcher = execa('python3', [
      '-c',
      REPLACE_WHEN_STARTED,
      bundle,
      join(root, 'b-copy.m4a'),
      work,
      // The start of job early's scratch folder, whichever worker's (its consumer part left empty).
      jobWorkDirName('early', ''),
    ]);
    watcher.catch(() => undefined);
    await firstOutput(watcher, "the python watcher that replaces the bundle's song when the job starts");
    first = await run(root);
    // The real song A again, under another title (not a duplicate of the first): its stems come from
    // the cache when the first job stored stems under A's hash.
    await publishV1(root, 'other', job('again', 'Again'), { 'a/song.m4a': join(root, 'a.m4a') });
    again = await run(root);
  }, 240_000);

  it('right after the claim hashed it: only the song job.json declares is made, and its stems are cached under it', async () => {
    // The watcher did replace the song (else the test proves nothing).
    expect(String((await watcher!).stdout)).toContain('replaced');
    // The job read song A (opened before the rename) and made it, or read song B and failed, saying so:
    // job.json declares A's hash. Before, it made B as this job, B's hash recorded (accepted here then).
    if (first.summary.failed === 1) {
      const failed = join(root, 'queues', 'other', 'failed', 'job_early', 'imk-error.json');
      const { message } = JSON.parse(await readFile(failed, 'utf8')) as { message: string };
      expect(message).toContain(
        `a/song.m4a as opened to be separated has sha256 ${await sha256File(join(root, 'b.m4a'))}`,
      );
      expect(message).toContain(`but job.json declares sha256 ${await sha256File(join(root, 'a.m4a'))}`);
    } else {
      expect(first.summary, first.log).toMatchObject({ succeeded: 1 });
      const { hashed, lengths } = await madeOf(root, await readManifest(root, 'early'));
      expect(lengths.length).toBeGreaterThan(1);
      // Every file is made of the song whose hash it recorded: A.
      expect(hashed).toBe('a');
      for (const length of lengths)
        expect(Math.abs(length - 2), `${hashed}: ${lengths.join(', ')}`).toBeLessThan(0.2);
    }
    // A later job of song A gets song A's stems, from the cache or separated again: never song B's.
    expect(again.summary, again.log).toMatchObject({ succeeded: 1 });
    const later = await madeOf(root, await readManifest(root, 'again'));
    expect(later.hashed).toBe('a');
    for (const length of later.lengths)
      expect(Math.abs(length - 2), later.lengths.join(', ')).toBeLessThan(0.2);
  });
});

describe('the song of a claimed bundle replaced while it is separated', () => {
  let root: string;
  let result: { summary: Record<string, unknown>; log: string };
  beforeAll(async () => {
    root = await rootWith((dir) => ({
      renameAtSeparate: {
        queues: join(dir, 'queues'),
        renames: { 'a/other.m4a': 'a/song.m4a', 'art/other.png': 'art/cover.png' },
      },
    }));
    // The bundle's cover is red, 64×64; the picture renamed over it green, 48×48.
    await makeCover(join(root, 'cover.png'));
    await makeCover(join(root, 'other.png'), { color: 'green', size: 48 });
    await publishV1(
      root,
      'other',
      { ...job('late', 'Late'), cover_path: 'art/cover.png' },
      {
        'a/song.m4a': join(root, 'a.m4a'),
        'a/other.m4a': join(root, 'b.m4a'),
        'art/cover.png': join(root, 'cover.png'),
        'art/other.png': join(root, 'other.png'),
      },
    );
    result = await run(root);
  }, 240_000);

  it('the .stem.mp4 mixture and every file are of the song hashed, not of the file renamed over it', async () => {
    expect(result.summary, result.log).toMatchObject({ succeeded: 1 });
    const archived = join(root, 'queues', 'other', 'succeeded');
    const [bundle] = (await readdir(archived)).filter((n) => n.startsWith('job_late'));
    // The engine did rename the other song over the input (else the test proves nothing).
    expect((await readdir(join(archived, bundle!, 'a'))).sort()).toEqual(['song.m4a']);
    expect((await readdir(join(archived, bundle!, 'art'))).sort()).toEqual(['cover.png']);
    const manifest = await readManifest(root, 'late');
    const { hashed, lengths } = await madeOf(root, manifest);
    expect(hashed).toBe('a');
    for (const length of lengths) expect(Math.abs(length - 2), lengths.join(', ')).toBeLessThan(0.2);
    const stemMp4 = manifest.artifacts.find((a) => a.variant === 'stem_mp4');
    expect(stemMp4).toBeDefined();
    const info = await probeMedia(join(root, 'outputs', 'late', stemMp4!.path));
    const streams = info.streams.filter((s) => s.type === 'audio');
    expect(streams).toHaveLength(5);
    // Stream 0 is the mixture: the song itself, read again at the encode.
    for (const stream of streams) expect(Math.abs((stream.duration_sec ?? 0) - 2)).toBeLessThan(0.2);
  });

  it('every file embeds the cover the job started with, not the picture renamed over it', async () => {
    const manifest = await readManifest(root, 'late');
    const withCover = manifest.artifacts.filter((a) => a.kind === 'audio' || a.variant === 'stem_mp4');
    expect(withCover.length).toBeGreaterThan(1);
    for (const artifact of withCover) {
      const info = await probeMedia(join(root, 'outputs', 'late', artifact.path));
      expect(info.streams.find((st) => st.is_cover)?.width, artifact.path).toBe(64);
    }
  });
});
