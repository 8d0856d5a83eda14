// A claimed job is never touched, and that includes what the worker holding it is building: its
// unfinished output folder (outputs/.<id>.partial-<consumer>/) and its scratch folder
// (state/tmp/instrumental-maker/<id>@<consumer>/). A long step (hours of separation) writes nothing into
// them for a while; once past temp.maxAgeHours they were removed under the running job.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { consumerPart, jobWorkDirName, mixClaimName, partialDirName } from '@imk/protocol';
import { RetentionConfigSchema, runCleanup } from '../src/index.ts';

const DAY = 86_400_000;
const quiet = createLogger('test', { destination: new Writable({ write: (_c, _e, done) => done() }) });
const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function put(path: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, 'x');
}

describe('cleanup and claimed jobs', () => {
  it("keeps the unfinished output and scratch folders of a claimed job, and removes an abandoned one's", async () => {
    const root = await mkdtemp(join(tmpdir(), 'imk-cleanup-claims-'));
    roots.push(root);
    // Held by worker "host-1-ab" (claim token = <consumer>.<nonce>).
    await put(join(root, 'queues/other/claimed/job_long.concert@host-1-ab.3f9a0b1c/job.json'));
    await put(join(root, 'outputs/.long.concert.partial-host-1-ab/files/audio/a.m4a'));
    await put(join(root, 'state/tmp/instrumental-maker/long.concert@host-1-ab/input.wav'));
    // A worker that crashed long ago: its claim went back to the queue, its folders are leftovers.
    await put(join(root, 'outputs/.gone.partial-host-2-cd/files/audio/a.m4a'));
    await put(join(root, 'state/tmp/instrumental-maker/gone@host-2-cd/input.wav'));

    const report = await runCleanup({
      root,
      logger: quiet,
      retention: RetentionConfigSchema.parse({}),
      now: Date.now() + 2 * DAY,
    });

    expect(report.removed.map((e) => e.path).sort()).toEqual(
      ['outputs/.gone.partial-host-2-cd', 'state/tmp/instrumental-maker/gone@host-2-cd']
        .map((p) => join(root, p))
        .sort(),
    );
    expect(await readdir(join(root, 'outputs'))).toEqual(['.long.concert.partial-host-1-ab']);
    expect(await readdir(join(root, 'state/tmp/instrumental-maker'))).toEqual(['long.concert@host-1-ab']);
    expect(await readdir(join(root, 'queues/other/claimed'))).toEqual([
      'job_long.concert@host-1-ab.3f9a0b1c',
    ]);
  });

  it('keeps what a worker whose id holds ".partial-" builds, and the mix claim of a job id that holds one', async () => {
    const root = await mkdtemp(join(tmpdir(), 'imk-cleanup-claims-'));
    roots.push(root);
    // Job x held by worker "w.partial-host" (a host may be named so); job x.partial-y being mixed.
    const token = `${consumerPart('x', 'w.partial-host')}.3f9a0b1c`;
    await put(join(root, `queues/other/claimed/job_x@${token}/job.json`));
    const partial = partialDirName('x', 'w.partial-host');
    await put(join(root, 'outputs', partial, 'files/audio/a.m4a'));
    const scratch = jobWorkDirName('x', 'w.partial-host');
    await put(join(root, 'state/tmp/instrumental-maker', scratch, 'input.wav'));
    // Its name began ".x.partial-" like a partial folder: cleanup took it for a leftover and removed it.
    await put(join(root, 'outputs', mixClaimName('x.partial-y'), 'host-1.ab12.lease'));

    const report = await runCleanup({
      root,
      logger: quiet,
      retention: RetentionConfigSchema.parse({}),
      now: Date.now() + 2 * DAY,
    });

    expect(report.removed).toEqual([]);
    expect((await readdir(join(root, 'outputs'))).sort()).toEqual(
      [mixClaimName('x.partial-y'), partial].sort(),
    );
    expect(await readdir(join(root, 'state/tmp/instrumental-maker'))).toEqual([scratch]);
  });

  it("keeps a claimed job's scratch folder under both namings, and removes a leftover whose old name was the same", async () => {
    const root = await mkdtemp(join(tmpdir(), 'imk-cleanup-claims-'));
    roots.push(root);
    // Job a-b held by worker "c". Its scratch folder was `a-b-c`, and so was that of job a for worker "b-c":
    // the abandoned folder of one was kept as the held folder of the other, and both wrote into it.
    await put(join(root, 'queues/other/claimed/job_a-b@c.3f9a0b1c/job.json'));
    const work = join(root, 'state/tmp/instrumental-maker');
    await put(join(work, jobWorkDirName('a-b', 'c'), 'input.wav'));
    // The earlier naming, of a worker that has not been upgraded yet and still runs job a-b.
    await put(join(work, 'a-b-c', 'input.wav'));
    // Left by a worker "b-c" that crashed long ago running job a.
    const leftover = jobWorkDirName('a', 'b-c');
    await put(join(work, leftover, 'input.wav'));

    const report = await runCleanup({
      root,
      logger: quiet,
      retention: RetentionConfigSchema.parse({}),
      now: Date.now() + 2 * DAY,
    });

    expect(report.removed.map((e) => e.path)).toEqual([join(work, leftover)]);
    expect((await readdir(work)).sort()).toEqual([jobWorkDirName('a-b', 'c'), 'a-b-c'].sort());
  });
});
