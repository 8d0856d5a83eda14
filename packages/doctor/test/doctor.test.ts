import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolvePaths } from '@imk/config';
import { within } from '@imk/fs-safe/testing';
import { createDoctor, formatReport, systemChecks, toolCheck, type DoctorCheck } from '../src/index.ts';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function context(env: NodeJS.ProcessEnv = process.env) {
  const root = await mkdtemp(join(tmpdir(), 'imk-doctor-'));
  roots.push(root);
  return { paths: resolvePaths(root), env, now: new Date() };
}

/** A promise the test settles itself. */
function deferred(): { promise: Promise<void>; resolve: () => void; readonly settled: boolean } {
  let settled = false;
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return {
    promise,
    resolve: () => {
      settled = true;
      resolve();
    },
    get settled() {
      return settled;
    },
  };
}

const fixed = (id: string, required: boolean, status: 'ok' | 'warn' | 'fail'): DoctorCheck => ({
  id,
  title: id,
  group: 'test',
  required,
  run: () => Promise.resolve({ status, summary: `${id} is ${status}`, fix: `fix ${id}` }),
});

describe('doctor', () => {
  it('passes with ffmpeg, ffprobe, writable queues and disk space on this machine', async () => {
    const report = await createDoctor(systemChecks()).run(await context());
    expect(report.outcomes.map((o) => `${o.check.id}:${o.result.status}`)).toEqual([
      'ffmpeg:ok',
      'ffprobe:ok',
      'queues-writable:ok',
      'free-disk:ok',
    ]);
    expect(report.ok).toBe(true);
  });

  it('fails on a missing required tool, with the install command, and only warns on optional ones', async () => {
    const ctx = await context({ ...process.env, IMK_FFMPEG: '/nonexistent/ffmpeg' });
    const report = await createDoctor([
      toolCheck('ffmpeg', { install: 'sudo apt-get install -y ffmpeg' }),
      fixed('extra', false, 'fail'),
    ]).run(ctx);
    expect(report.ok).toBe(false);
    const text = formatReport(report);
    expect(text).toMatch(/FAIL\s+ffmpeg\s+IMK_FFMPEG=\/nonexistent\/ffmpeg is not an executable file/);
    expect(text).toMatch(/fix: sudo apt-get install -y ffmpeg/);
    expect(text).toMatch(/extra is fail \(optional\)/);
    expect(text).toMatch(/1 required check\(s\) failed/);
  });

  it('reports a queue folder it cannot write to, with the command that fixes it', async () => {
    const ctx = await context();
    // A plain file where the queue folder should be: nothing can be written into it, even as root.
    await mkdir(ctx.paths.queues, { recursive: true });
    await writeFile(join(ctx.paths.queues, 'other'), 'not a folder');
    const report = await createDoctor(systemChecks()).run(ctx);
    const queues = report.outcomes.find((o) => o.check.id === 'queues-writable');
    expect(queues?.result).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining(`${join(ctx.paths.queues, 'other')} is a file, not a folder`),
      fix: expect.stringContaining('chown'),
    });
    expect(report.ok).toBe(false);
  });

  it('refuses the same check twice and counts a throwing check as failed', async () => {
    expect(() => createDoctor([fixed('a', true, 'ok'), fixed('a', true, 'ok')])).toThrow(/registered twice/);
    const throwing: DoctorCheck = {
      ...fixed('boom', true, 'ok'),
      run: () => Promise.reject(new Error('kaput')),
    };
    const report = await createDoctor([throwing]).run(await context());
    expect(report.outcomes[0]?.result).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('kaput'),
    });
  });

  it('runs the checks at the same time (as long as the slowest, not the sum) and reports them in order', async () => {
    // Every check waits until all of them have started: a doctor that runs them one after another, or a
    // few at a time, never starts the last one and its report never comes; the test says which checks had
    // not started (a bound of half the test's time limit decides only how soon it says so). They then
    // finish last-first, and the report still lists them in registration order.
    const ids = ['slow', 'middle', 'late'];
    const started: string[] = [];
    const everyone = deferred();
    const finished = new Map(ids.map((id) => [id, deferred()]));
    const held = (id: string, status: 'ok' | 'warn', after?: string): DoctorCheck => ({
      ...fixed(id, id !== 'middle', status),
      run: async () => {
        started.push(id);
        if (started.length === ids.length) everyone.resolve();
        await everyone.promise;
        if (after) await finished.get(after)!.promise;
        finished.get(id)!.resolve();
        return { status, summary: `${id} ran beside ${ids.filter((other) => other !== id).join(' and ')}` };
      },
    });
    const running = createDoctor([
      held('slow', 'ok', 'middle'),
      held('middle', 'warn', 'late'),
      held('late', 'ok'),
    ]).run(await context());
    await within(
      everyone.promise,
      60_000,
      'every check to start before any finishes',
      () =>
        `started: ${started.join(', ') || 'none'}; not started: ${ids.filter((id) => !started.includes(id)).join(', ')} (the doctor runs its checks one after another, or a few at a time)`,
    );
    const report = await within(
      running,
      30_000,
      "the doctor's report once every check had started",
      () => `finished: ${ids.filter((id) => finished.get(id)!.settled).join(', ') || 'none'}`,
    );
    expect(started.sort()).toEqual([...ids].sort());
    expect(report.outcomes.map((o) => `${o.check.id}:${o.result.status}`)).toEqual([
      'slow:ok',
      'middle:warn',
      'late:ok',
    ]);
    expect(report.outcomes[0]?.result.summary).toBe('slow ran beside middle and late');
    expect(report.ok).toBe(true);
  });
});

describe('a group no check belongs to', () => {
  it('is refused naming the groups there are, rather than reporting that every check passed', async () => {
    // `imk doctor --group worke` ran no check and said "all required checks passed".
    const doctor = createDoctor([fixed('a', true, 'ok'), { ...fixed('b', true, 'fail'), group: 'sync' }]);
    await expect(doctor.run(await context(), { groups: ['worke', 'sync'] })).rejects.toMatchObject({
      code: 'DOCTOR_UNKNOWN_GROUP',
      message: 'no doctor check is in the group "worke"; the groups are: test, sync',
    });
    const report = await doctor.run(await context(), { groups: ['sync'] });
    expect(report.outcomes.map((o) => o.check.id)).toEqual(['b']);
    expect(report.ok).toBe(false);
  });
});
