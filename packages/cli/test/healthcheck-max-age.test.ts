// `imk healthcheck <service> --max-age <seconds>` is what a container health check runs. A value that is
// not a number (`--max-age 60s`, as Docker writes its own intervals) became NaN, and no heartbeat is ever
// older than NaN: a hung service passed its health check forever. Such a value is now refused.
import { mkdir, mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeJsonAtomic } from '@imk/fs-safe';
import { clockOffsetEnv } from '@imk/fs-safe/testing';
import { heartbeatFile } from '@imk/ops';
import { healthcheckCommand } from '../src/actions/healthcheck.ts';
import { IMK } from './imk-bin.ts';

const imk = (...args: string[]) => execa(process.execPath, [IMK, ...args], { reject: false });

let root = '';
/** When the heartbeat was stamped ten minutes back (this process's monotonic clock). */
let stampedAt = 0;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-healthcheck-'));
  // The heartbeat of a worker that hung ten minutes ago, still saying "running".
  const file = heartbeatFile(root, 'instrumental-maker');
  await mkdir(join(file, '..'), { recursive: true });
  await writeJsonAtomic(file, { service: 'instrumental-maker', host: 'h', pid: 1, state: 'running', at: '' });
  const tenMinutesAgo = new Date(Date.now() - 600_000);
  await utimes(file, tenMinutesAgo, tenMinutesAgo);
  stampedAt = performance.now();
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('imk healthcheck --max-age', () => {
  it('reports a stale heartbeat as unhealthy', async () => {
    const result = await imk('healthcheck', 'instrumental-maker', '--max-age', '60', '--root', root);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('hung or stopped');
  });

  it('refuses a value that is not a number of seconds instead of passing every heartbeat', async () => {
    const refusal = (value: string) =>
      `--max-age is a number of seconds greater than 0, e.g. --max-age 60; got "${value}"`;
    // The command as a container runs it, with the value Docker writes its own intervals in.
    const result = await imk('healthcheck', 'instrumental-maker', '--max-age', '60s', '--root', root);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).not.toContain('healthy');
    expect(result.stderr).toContain(refusal('60s'));
    // The other values through the command's function (the same check, without a process each).
    const printed = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      for (const value of ['60s', 'abc', '0', '-5', '']) {
        await expect(
          healthcheckCommand('instrumental-maker', { root, maxAge: value }),
          value,
        ).rejects.toMatchObject({ message: refusal(value) });
        expect(printed).not.toHaveBeenCalled();
      }
    } finally {
      printed.mockRestore();
    }
  });
});

// The heartbeat's age was Date.now() minus its file's mtime, which the file server stamps when state/ is on a
// share: a host whose clock ran ahead of the server called a live service hung (its container restarted over
// and over), one behind called a hung one healthy. It is now aged on the file system's own clock. The host's
// clock is moved by a test stand-in (clockOffsetEnv); the disk stamps real times.
describe("imk healthcheck on a host whose clock is off the file system's", () => {
  const imkAt = (offsetMs: number, ...args: string[]) =>
    execa(process.execPath, [IMK, ...args], { reject: false, env: clockOffsetEnv(offsetMs) });
  /** The whole seconds the command printed in `text` (its `pattern`'s one group). */
  const secondsIn = (text: string, pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? NaN);
  /** Whole seconds since `since` (this process's monotonic clock), rounded up: the most the age can have grown. */
  const upTo = (since: number): number => Math.ceil((performance.now() - since) / 1000);

  it('calls a service that beat just now healthy, on a host ten minutes ahead', async () => {
    const file = heartbeatFile(root, 'instrumental-maker');
    const now = new Date();
    const beat = performance.now();
    await utimes(file, now, now);
    const result = await imkAt(600_000, 'healthcheck', 'instrumental-maker', '--root', root);
    // Aged by the time the command took to start on a busy machine (a second or two), never the host's
    // ten minutes ahead.
    const age = secondsIn(result.stdout, /instrumental-maker: healthy \(heartbeat (\d+) s ago/);
    expect(age, result.stdout + result.stderr).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThanOrEqual(upTo(beat));
    expect(result.exitCode).toBe(0);
    // The look at the file system's clock leaves nothing in state/health/.
    expect(await readdir(join(file, '..'))).toEqual([basename(file)]);
  });

  it('calls a service whose last beat was ten minutes ago hung, on a host a day behind', async () => {
    const result = await imkAt(-86_400_000, 'healthcheck', 'instrumental-maker', '--root', root);
    expect(result.exitCode).toBe(1);
    // Ten minutes, and the time since the heartbeat was stamped (the command's start on a busy machine).
    const age = secondsIn(result.stderr, /last heartbeat (\d+) s ago \(more than 60 s\): hung or stopped/);
    expect(age, result.stderr).toBeGreaterThanOrEqual(600);
    expect(age).toBeLessThanOrEqual(600 + upTo(stampedAt));
  });
});
