import { cp, mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COUNTING_ENGINE,
  engineCalls,
  imk,
  jobDetail,
  makeRoot,
  makeSong,
  publishV1,
  readManifest,
  removeRoot,
} from './helpers.ts';
import { validateManifest } from '@imk/protocol';
import { imkInProcess } from '../../../packages/cli/test/in-process.ts';
import { STAGES } from '../src/stage-runner.ts';

// The engine is a counting wrapper around the builtin one, loaded through config `engine.module`: every
// separate() call adds a line to a file, so "the engine was not called" is counted, not inferred.
let root: string;
let counter: string;
let flakyCounter: string;

async function calls(file: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).length;
}

/**
 * `imk run --once`: as its own process (`ownProcess: true`, as the first two runs are, so that the stem cache
 * is shown to hold across worker processes), else the same command line through the CLI's main() in this
 * process (an imk process costs ~2.5 s CPU). The cache, ledger and outputs are on disk either way.
 */
async function runOnce({ ownProcess = false } = {}): Promise<Record<string, unknown>> {
  const args = ['run', '--once', '--root', root];
  const result = ownProcess ? await imk(args, { tsEngine: true }) : await imkInProcess(...args);
  expect(result.exitCode, String('all' in result ? result.all : result.stdout)).toBe(0);
  return JSON.parse(String(result.stdout)) as Record<string, unknown>;
}

const detailOf = (id: string) => jobDetail(root, id);

beforeAll(async () => {
  root = await makeRoot((dir) => ({
    pollMs: 100,
    concurrency: 1,
    variants: ['instrumental'],
    engine: { name: 'counting', module: COUNTING_ENGINE, params: { counterFile: engineCalls(dir) } },
    duplicates: 'skip',
    retry: { maxAttempts: 3, backoffMs: 300, maxBackoffMs: 1000 },
  }));
  counter = engineCalls(root);
  flakyCounter = join(root, 'flaky-calls.txt');
  await mkdir(join(root, 'media'));
  await Promise.all([
    makeSong(join(root, 'media', 'a.m4a'), 3, 4),
    makeSong(join(root, 'media', 'b.m4a'), 3, 5),
  ]);
}, 120_000);

afterAll(() => removeRoot(root));

describe('no work twice', () => {
  it('separates a new song once', async () => {
    await publishV1(
      root,
      'other',
      { job_id: 'first', source_type: 'local', artist: 'A', title: 'One', audio_path: 'a.m4a' },
      { 'a.m4a': join(root, 'media', 'a.m4a') },
    );
    expect(await runOnce({ ownProcess: true })).toMatchObject({ ok: true, succeeded: 1 });
    expect(await calls(counter)).toBe(1);
  });

  it('takes the stems of a re-run from the cache, even when it asks for another variant: the engine is not called', async () => {
    await publishV1(
      root,
      'other',
      {
        job_id: 'again',
        source_type: 'local',
        artist: 'A',
        title: 'One',
        audio_path: 'a.m4a',
        options: { variants: ['instrumental', 'drums_only'] },
      },
      { 'a.m4a': join(root, 'media', 'a.m4a') },
    );
    expect(await runOnce({ ownProcess: true })).toMatchObject({ ok: true, succeeded: 1, duplicates: 0 });
    expect(await calls(counter)).toBe(1);
    const detail = await detailOf('again');
    expect(detail.stages.find((s) => s.stage === 'separate')?.outcome).toBe('cache_hit');
    const manifest = await readManifest(root, 'again');
    expect(manifest.artifacts.map((a) => a.variant).sort()).toEqual(['drums_only', 'instrumental']);
    expect(manifest.duplicate_of).toBeUndefined();
  });

  it('skips a job whose input and outputs match a succeeded job: manifest names it, files are linked', async () => {
    await publishV1(
      root,
      'other',
      { job_id: 'dup', source_type: 'local', artist: 'A', title: 'One', audio_path: 'song.m4a' },
      { 'song.m4a': join(root, 'media', 'a.m4a') },
    );
    expect(await runOnce()).toMatchObject({ ok: true, succeeded: 1, duplicates: 1 });
    expect(await calls(counter)).toBe(1);
    const manifest = await readManifest(root, 'dup');
    const first = await readManifest(root, 'first');
    expect(manifest.duplicate_of).toBe('first');
    expect(manifest.input.sha256).toBe(first.input.sha256);
    expect(manifest.warnings.join(' ')).toMatch(/job first/);
    const path = first.artifacts[0]!.path;
    const [a, b] = await Promise.all([
      stat(join(root, 'outputs', 'first', path)),
      stat(join(root, 'outputs', 'dup', path)),
    ]);
    expect(b.ino).toBe(a.ino);
    expect((await detailOf('dup')).job.duplicate_of).toBe('first');
  });

  it("builds a duplicate's manifest as a normal one's: valid, the same fields plus duplicate_of, the same files", async () => {
    const raw = (id: string) =>
      readFile(join(root, 'outputs', id, 'manifest.json'), 'utf8').then((t) => JSON.parse(t) as object);
    const [dup, first] = await Promise.all([raw('dup'), raw('first')]);
    expect(validateManifest(dup)).toMatchObject({ ok: true });
    expect(Object.keys(dup).sort()).toEqual([...Object.keys(first), 'duplicate_of'].sort());
    const [dupManifest, firstManifest] = await Promise.all([
      readManifest(root, 'dup'),
      readManifest(root, 'first'),
    ]);
    expect(dupManifest.artifacts).toEqual(firstManifest.artifacts);
    expect(dupManifest.input).toEqual({ ...firstManifest.input, path: 'song.m4a' });
    expect(dupManifest.engine).toEqual(firstManifest.engine);
    expect(dupManifest.output_key).toBe(firstManifest.output_key);
  });

  it('records the stages of each job in STAGES order: all of them, or those a duplicate runs', async () => {
    const stagesOf = async (id: string) => (await detailOf(id)).stages.map((s) => s.stage);
    expect(await stagesOf('first')).toEqual([...STAGES]);
    expect(await stagesOf('dup')).toEqual(['options', 'hash', 'manifest', 'publish']);
  });

  it('processes such a job again when its options say duplicates: process (the mixer\'s "Separate again")', async () => {
    await publishV1(
      root,
      'other',
      {
        job_id: 'redo',
        source_type: 'local',
        artist: 'A',
        title: 'One',
        audio_path: 'song.m4a',
        options: { duplicates: 'process' },
      },
      { 'song.m4a': join(root, 'media', 'a.m4a') },
    );
    expect(await runOnce()).toMatchObject({ ok: true, succeeded: 1, duplicates: 0 });
    const manifest = await readManifest(root, 'redo');
    expect(manifest.duplicate_of).toBeUndefined();
    expect(manifest.artifacts.map((a) => a.variant)).toEqual(['instrumental']);
    const detail = await detailOf('redo');
    expect(detail.stages.find((s) => s.stage === 'separate')?.outcome).toBe('cache_hit');
  });

  it('retries a failing stage with backoff and records the failed attempt', async () => {
    await publishV1(
      root,
      'other',
      {
        job_id: 'flaky',
        source_type: 'local',
        artist: 'B',
        title: 'Two',
        audio_path: 'b.m4a',
        options: { engine_params: { counterFile: flakyCounter, failFirst: true } },
      },
      { 'b.m4a': join(root, 'media', 'b.m4a') },
    );
    expect(await runOnce()).toMatchObject({ ok: true, succeeded: 1, retried: 1, failed: 0 });
    expect(await calls(flakyCounter)).toBe(2);
    const detail = await detailOf('flaky');
    expect(detail.job).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(detail.events.map((e: { state: string }) => e.state)).toEqual([
      'running',
      'retrying',
      'running',
      'succeeded',
    ]);
    expect(detail.errors).toEqual([
      expect.objectContaining({ stage: 'separate', attempt: 1, retryable: true }),
    ]);
    expect(detail.errors[0]!.message).toMatch(/failing its first call on purpose/);
    // The backoff (300 ms for attempt 1 here) runs from the failure, which the ledger records just before
    // the queue is told; the 'retrying' state is written only after the queue's fsync and rename.
    const failedAt = Date.parse((detail.errors[0] as { at: string }).at);
    const nextStart = Date.parse(detail.events[2]!.at);
    expect(nextStart - failedAt).toBeGreaterThanOrEqual(300);
  });
});

// An earlier job's folder is someone else's to change: its files must not be linked unless they are
// regular files inside it with the content its manifest names. Otherwise the job is processed normally.
describe("reusing an earlier job's files", () => {
  const song = (id: string, file = 'c.m4a') =>
    publishV1(
      root,
      'other',
      { job_id: id, source_type: 'local', artist: 'C', title: 'Three', audio_path: 'song.m4a' },
      { 'song.m4a': join(root, 'media', file) },
    );

  it("processes the job instead of linking files an earlier job's folder leads out to", async () => {
    await makeSong(join(root, 'media', 'c.m4a'), 3, 6);
    await song('orig');
    expect(await runOnce()).toMatchObject({ ok: true, succeeded: 1 });
    const orig = await readManifest(root, 'orig');
    const path = orig.artifacts[0]!.path;
    // outputs/orig/files becomes a link to a folder outside outputs/ with other bytes under the same names.
    const secret = join(root, 'outside_secret');
    await cp(join(root, 'outputs', 'orig', 'files'), secret, { recursive: true });
    await writeFile(join(secret, path.replace(/^files\//, '')), 'SECRET DATA OUTSIDE OUTPUTS');
    await rename(join(root, 'outputs', 'orig', 'files'), join(root, 'orig_files'));
    await symlink(secret, join(root, 'outputs', 'orig', 'files'));

    await song('copycat');
    expect(await runOnce()).toMatchObject({ ok: true, succeeded: 1, duplicates: 0 });
    const manifest = await readManifest(root, 'copycat');
    expect(manifest.duplicate_of).toBeUndefined();
    expect(manifest.warnings.join(' ')).toMatch(/job orig's files\/.* cannot be reused: .*symbolic link/);
    const published = await readFile(join(root, 'outputs', 'copycat', manifest.artifacts[0]!.path));
    expect(published.toString('latin1')).not.toContain('SECRET');
    const [mine, outside] = await Promise.all([
      stat(join(root, 'outputs', 'copycat', manifest.artifacts[0]!.path)),
      stat(join(secret, path.replace(/^files\//, ''))),
    ]);
    expect(mine.ino).not.toBe(outside.ino);
  }, 120_000);

  it('processes the job instead of linking a file whose content is not what its manifest says', async () => {
    // Both earlier jobs with this input now hold other bytes (of the same size) under their artifacts' names.
    await rm(join(root, 'outputs', 'orig', 'files'));
    await rename(join(root, 'orig_files'), join(root, 'outputs', 'orig', 'files'));
    for (const id of ['orig', 'copycat']) {
      const { artifacts } = await readManifest(root, id);
      for (const artifact of artifacts) {
        const file = join(root, 'outputs', id, artifact.path);
        await rm(file);
        await writeFile(file, Buffer.alloc(artifact.bytes, 0x41));
      }
    }
    await song('copycat2');
    expect(await runOnce()).toMatchObject({ ok: true, succeeded: 1, duplicates: 0 });
    const manifest = await readManifest(root, 'copycat2');
    expect(manifest.duplicate_of).toBeUndefined();
    expect(manifest.warnings.join(' ')).toMatch(
      /cannot be reused: its content is not what its manifest says/,
    );
    const published = await readFile(join(root, 'outputs', 'copycat2', manifest.artifacts[0]!.path));
    expect(published.equals(Buffer.alloc(published.length, 0x41))).toBe(false);
  }, 120_000);
});
