import { copyFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstOutput } from '@imk/fs-safe/testing';
import {
  PROCESS_COUNTING_ENGINE,
  engineCalls,
  imk,
  makeRoot,
  makeSong,
  publishV1,
  readManifest,
  removeRoot,
} from './helpers.ts';

// "Separate again" (a mix of a song whose stems this worker's cache does not hold) reads the song from a
// queue's succeeded archive: hashed against its manifest, then probed and decoded. Those were three opens
// by name: the song replaced in the archive right after the hash (another file renamed over it) had the
// other song probed, decoded, separated, stored in the stem cache under this song's hash (every later mix
// of the song then took them) and mixed into its outputs. The song is now opened once: hashed, probed and
// decoded through that descriptor. The replacement is made by a watcher (inotify) the moment the song is
// first closed after the worker opened it. Real `imk run`.
let root: string;
let watcher: ResultPromise | undefined;

// Renames `other` (beside the song, in the archived bundle) over a/song.m4a when song.m4a is first closed.
const REPLACE_ON_CLOSE = `
import ctypes, os, sys
bundle = sys.argv[1]
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init()
IN_CLOSE_NOWRITE = 0x10
if libc.inotify_add_watch(fd, os.path.join(bundle, 'a', 'song.m4a').encode(), IN_CLOSE_NOWRITE) < 0: sys.exit(2)
print('watching', flush=True)
os.read(fd, 4096)
os.rename(os.path.join(bundle, 'a', '.other.m4a'), os.path.join(bundle, 'a', 'song.m4a'))
print('replaced', flush=True)
`;

beforeAll(async () => {
  root = await makeRoot((dir) => ({
    pollMs: 100,
    variants: ['instrumental'],
    output: { format: 'wav' },
    retry: { maxAttempts: 1 },
    engine: { name: 'counting', module: PROCESS_COUNTING_ENGINE, params: { counterFile: engineCalls(dir) } },
  }));
  // The song is 2 s long; the one renamed over it 4 s.
  await makeSong(join(root, 'song.m4a'), 2, 3);
  await makeSong(join(root, 'other.m4a'), 4, 6);
  await publishV1(
    root,
    'other',
    { job_id: 'song', source_type: 'local', artist: 'A', title: 'Song', audio_path: 'a/song.m4a' },
    { 'a/song.m4a': join(root, 'song.m4a') },
  );
  const first = await imk(['run', '--once', '--root', root]);
  expect(JSON.parse(String(first.stdout || '{}')), String(first.all)).toMatchObject({ succeeded: 1 });
}, 120_000);
afterAll(async () => {
  watcher?.kill();
  await removeRoot(root);
});

describe('the archived song replaced by another file after it was hashed', () => {
  it('is mixed from the song hashed, never from the file put in its place', async () => {
    const succeeded = join(root, 'queues', 'other', 'succeeded');
    const [archived] = (await readdir(succeeded)).filter((n) => n.startsWith('job_song'));
    const bundle = join(succeeded, archived!);
    await copyFile(join(root, 'other.m4a'), join(bundle, 'a', '.other.m4a'));
    watcher = execa('python3', ['-c', REPLACE_ON_CLOSE, bundle]);
    watcher.catch(() => undefined);
    await firstOutput(watcher, 'the python watcher that replaces the archived song when it is closed');
    await rm(join(root, 'state', 'cache', 'stems'), { recursive: true, force: true });
    await publishV1(
      root,
      'other',
      {
        job_id: 'mix_replaced',
        source_type: 'remix',
        artist: 'A',
        title: 'Song',
        remix: { of: 'song', variant: 'replaced', stems: { drums: 1, bass: 1 } },
      },
      {},
    );
    const result = await imk(['run', '--once', '--root', root]);
    const log = String(result.all);
    expect(JSON.parse(String(result.stdout || '{}')), log).toMatchObject({ succeeded: 1 });
    // The watcher did replace the song (else the test proves nothing).
    expect((await readdir(join(bundle, 'a'))).sort()).toEqual(['song.m4a']);
    const mix = (await readManifest(root, 'song')).artifacts.find((a) => a.variant === 'replaced');
    expect(mix, log).toBeDefined();
    expect(mix!.duration_sec).toBeGreaterThan(1.5);
    expect(mix!.duration_sec).toBeLessThan(3);
  }, 120_000);
});
