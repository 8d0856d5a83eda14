import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
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
// queue's succeeded archive: found, checked inside the archived bundle and hashed against its manifest,
// then probed and decoded by name. A folder of that bundle swapped for a link right after the hash had the
// song elsewhere probed, decoded and separated as this job's, and mixed into its outputs. The probe and the
// decode were then held inside the archived bundle (the remix failed naming the file); now the song is
// opened once and hashed, probed and decoded through that descriptor, so the swap after the hash changes
// nothing: the mix is made of the song hashed, never of the song elsewhere. The swap is made by a watcher
// (inotify) the moment the song is first closed. Real `imk run`.
let root: string;
let watcher: ResultPromise | undefined;

// Swaps `a` (in the archived bundle) for a link to the folder elsewhere when song.m4a is first closed.
const SWAP_ON_CLOSE = `
import ctypes, os, struct, sys
bundle, elsewhere = sys.argv[1], sys.argv[2]
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init()
IN_CLOSE_NOWRITE = 0x10
if libc.inotify_add_watch(fd, os.path.join(bundle, 'a', 'song.m4a').encode(), IN_CLOSE_NOWRITE) < 0: sys.exit(2)
print('watching', flush=True)
os.read(fd, 4096)
os.rename(os.path.join(bundle, 'a'), os.path.join(bundle, 'a.checked'))
os.symlink(os.path.join(elsewhere, 'a'), os.path.join(bundle, 'a'))
print('swapped', flush=True)
`;

beforeAll(async () => {
  root = await makeRoot((dir) => ({
    pollMs: 100,
    variants: ['instrumental'],
    output: { format: 'wav' },
    retry: { maxAttempts: 1 },
    engine: { name: 'counting', module: PROCESS_COUNTING_ENGINE, params: { counterFile: engineCalls(dir) } },
  }));
  await makeSong(join(root, 'song.m4a'), 2, 3);
  await mkdir(join(root, 'elsewhere', 'a'), { recursive: true });
  await makeSong(join(root, 'elsewhere', 'a', 'song.m4a'), 4, 6);
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

describe("the archived song's folder swapped for a link after it was hashed", () => {
  it('mixes the song hashed; no mix of the song elsewhere is added', async () => {
    const succeeded = join(root, 'queues', 'other', 'succeeded');
    const [archived] = (await readdir(succeeded)).filter((n) => n.startsWith('job_song'));
    watcher = execa('python3', ['-c', SWAP_ON_CLOSE, join(succeeded, archived!), join(root, 'elsewhere')]);
    watcher.catch(() => undefined);
    await firstOutput(watcher, 'the python watcher that swaps the archived song when it is closed');
    await rm(join(root, 'state', 'cache', 'stems'), { recursive: true, force: true });
    await publishV1(
      root,
      'other',
      {
        job_id: 'mix_swapped',
        source_type: 'remix',
        artist: 'A',
        title: 'Song',
        remix: { of: 'song', variant: 'swapped', stems: { drums: 1, bass: 1 } },
      },
      {},
    );
    const result = await imk(['run', '--once', '--root', root]);
    const log = String(result.all);
    expect(JSON.parse(String(result.stdout || '{}')), log).toMatchObject({ succeeded: 1, failed: 0 });
    // The watcher did swap the folder for the link (else the test proves nothing).
    expect((await lstat(join(succeeded, archived!, 'a'))).isSymbolicLink()).toBe(true);
    // Mixed from the song hashed (2 s), never from the song elsewhere (4 s).
    const mix = (await readManifest(root, 'song')).artifacts.find((a) => a.variant === 'swapped');
    expect(mix, log).toBeDefined();
    expect(mix!.duration_sec).toBeGreaterThan(1.5);
    expect(mix!.duration_sec).toBeLessThan(3);
  }, 120_000);
});
