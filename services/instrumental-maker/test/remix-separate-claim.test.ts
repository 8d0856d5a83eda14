import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROCESS_COUNTING_ENGINE,
  engineCalls,
  imk,
  makeRoot,
  makeSong,
  publishV1,
  readManifest,
  removeRoot,
  waitFor,
} from './helpers.ts';

// A mix whose stems were not in its worker's cache (another host separated the song) separated the
// archived song again while holding the claim on the job's outputs (outputs/.<job>.mixing/): every other
// mix of that job, on any worker, waited the minutes of that separation. The claim is now taken only to
// write; the mix made meanwhile elsewhere is kept beside the slow one. Worker a (empty cache) separates
// again, held in the engine; worker b (its own cache, which holds the stems) saves another mix meanwhile. Real
// `imk run --once` processes on one root.
let root: string;
// While this file exists, a separation of the song stays in the engine (however long a loaded machine takes
// to publish the other mix); the test removes it once that mix is published.
const hold = () => join(root, 'hold-separation');
const separations = async () =>
  (await readFile(engineCalls(root), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
const remix = (id: string, variant: string) =>
  publishV1(
    root,
    'other',
    {
      job_id: id,
      source_type: 'remix',
      artist: 'A',
      title: 'Song',
      remix: { of: 'song', variant, stems: { drums: 1, bass: 1 } },
    },
    {},
  );

beforeAll(async () => {
  root = await makeRoot(() => ({
    pollMs: 100,
    concurrency: 1,
    variants: ['instrumental'],
    output: { format: 'wav' },
    engine: { name: 'counting', module: PROCESS_COUNTING_ENGINE },
  }));
  await makeSong(join(root, 'song.m4a'), 2, 2);
  await publishV1(
    root,
    'other',
    {
      job_id: 'song',
      source_type: 'local',
      artist: 'A',
      title: 'Song',
      audio_path: 'song.m4a',
      // Recorded in the manifest: a separation again of this song is held as long as the hold file exists.
      options: { engine_params: { counterFile: engineCalls(root), holdWhile: hold() } },
    },
    { 'song.m4a': join(root, 'song.m4a') },
  );
  const first = await imk(['run', '--once', '--root', root]);
  expect(JSON.parse(String(first.stdout)), String(first.all)).toMatchObject({ succeeded: 1 });
  // Worker b's cache holds the stems; worker a's is empty (another host separated the song).
  await cp(join(root, 'state', 'cache', 'stems'), join(root, 'cache-b'), { recursive: true });
  await rm(join(root, 'state', 'cache', 'stems'), { recursive: true, force: true });
}, 120_000);
afterAll(() => removeRoot(root));

describe('a mix that separates the song again', () => {
  it('does not keep another mix of the job waiting meanwhile, and both are kept', async () => {
    expect(await separations()).toBe(1);
    await writeFile(hold(), '');
    await remix('mix_slow', 'slow');
    const a = imk(['run', '--once', '--root', root], { env: { IMK_LOG_LEVEL: 'info' } });
    await waitFor(async () => (await separations()) === 2, 60_000, 'worker a to separate again');
    await remix('mix_quick', 'quick');
    const b = imk(['run', '--once', '--root', root], {
      env: { IMK_INSTRUMENTAL_MAKER__STEM_CACHE__DIR: join(root, 'cache-b'), IMK_LOG_LEVEL: 'info' },
    });
    let log = '';
    b.all?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const variants = async () => (await readManifest(root, 'song')).artifacts.map((x) => x.variant).sort();
    try {
      // Published while worker a's separation is held: it did not wait for it. While the folder is being
      // replaced (the earlier one moved aside, the new one renamed in) there is an instant without it.
      await waitFor(
        async () => (await variants().catch((): string[] => [])).includes('quick'),
        120_000,
        "the quick mix while worker a's separation is held",
      );
      // Read before the hold goes: after it, worker a may publish the slow mix at any moment.
      expect(await variants()).toEqual(['instrumental', 'quick']);
    } finally {
      await rm(hold(), { force: true });
    }
    expect(log).not.toContain('are being written by');
    const quick = await b;
    expect(JSON.parse(String(quick.stdout)), log).toMatchObject({ succeeded: 1, failed: 0 });
    const done = await a;
    expect(JSON.parse(String(done.stdout)), String(done.all)).toMatchObject({ succeeded: 1, failed: 0 });
    // Worker a read the manifest again under the claim: the quick mix is kept beside the slow one.
    expect(await variants()).toEqual(['instrumental', 'quick', 'slow']);
    expect(await separations()).toBe(2);
  }, 180_000);
});
