import { readdir, readFile, rm } from 'node:fs/promises';
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
} from './helpers.ts';

// The stem cache is per host by default (state/cache/stems): a mix saved from the page and taken by a
// host that did not separate the song failed with STEMS_NOT_CACHED, though the song was still in the
// queue's succeeded archive. The worker now separates that song again (the engine its manifest records)
// and refills its cache; only when the song is gone too does the mix fail, saying what to do. The other
// host is simulated by emptying this worker's stem cache; the engine counts its calls. Real `imk run`.
let root: string;
const calls = async () => (await readFile(engineCalls(root), 'utf8')).trim().split('\n').length;
const stemCache = () => join(root, 'state', 'cache', 'stems');
const runOnce = async () => {
  const result = await imk(['run', '--once', '--root', root]);
  return {
    summary: JSON.parse(String(result.stdout || '{}')) as Record<string, unknown>,
    log: String(result.all),
  };
};
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
  root = await makeRoot((dir) => ({
    pollMs: 100,
    variants: ['instrumental'],
    output: { format: 'wav' },
    engine: { name: 'counting', module: PROCESS_COUNTING_ENGINE, params: { counterFile: engineCalls(dir) } },
  }));
  await makeSong(join(root, 'song.m4a'), 2, 3);
  await publishV1(
    root,
    'other',
    { job_id: 'song', source_type: 'local', artist: 'A', title: 'Song', audio_path: 'song.m4a' },
    { 'song.m4a': join(root, 'song.m4a') },
  );
  const { summary, log } = await runOnce();
  expect(summary, log).toMatchObject({ succeeded: 1 });
}, 120_000);
afterAll(() => removeRoot(root));

describe("a mix of a song this worker's stem cache does not hold", () => {
  it('separates the archived song again, once, and the mix is made', async () => {
    expect(await calls()).toBe(1);
    await rm(stemCache(), { recursive: true, force: true });
    await remix('mix_elsewhere', 'elsewhere');
    const { summary, log } = await runOnce();
    expect(summary, log).toMatchObject({ succeeded: 1, failed: 0 });
    expect(await calls()).toBe(2);
    expect((await readManifest(root, 'song')).artifacts.map((a) => a.variant).sort()).toEqual([
      'elsewhere',
      'instrumental',
    ]);
    // The stems are back in the cache under the job's key: the next mix does not separate again.
    await remix('mix_next', 'next');
    expect((await runOnce()).summary).toMatchObject({ succeeded: 1, failed: 0 });
    expect(await calls()).toBe(2);
  }, 120_000);

  it('fails, naming the job and what to do, when the song is no longer archived either', async () => {
    await rm(stemCache(), { recursive: true, force: true });
    await rm(join(root, 'queues', 'other', 'succeeded'), { recursive: true, force: true });
    await remix('mix_gone', 'gone');
    const { summary, log } = await runOnce();
    expect(summary, log).toMatchObject({ succeeded: 0, failed: 1 });
    expect(await calls()).toBe(2);
    const failed = join(root, 'queues', 'other', 'failed');
    const [kept] = (await readdir(failed)).filter((n) => n.startsWith('job_mix_gone'));
    const error = JSON.parse(await readFile(join(failed, kept!, 'imk-error.json'), 'utf8')) as {
      message: string;
    };
    // Named once, as the remix's own message does (not "job mix_gone (…): remix mix_gone: …").
    expect(error.message).toMatch(/^remix mix_gone: the stems of job song are not in/);
    expect(error.message).toContain('stemCache.dir in config/instrumental-maker.yaml');
    expect(error.message).toContain('separate job song again');
    expect((await readManifest(root, 'song')).artifacts.map((a) => a.variant)).not.toContain('gone');
  }, 120_000);
});
