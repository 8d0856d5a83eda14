import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImkError, isRetryableError, httpStatusOf } from '@imk/errors';
import { createLogger } from '@imk/log';
import { startReceiver } from '../../test/receiver.ts';
import { NotifyConfigSchema } from '../config.ts';
import { jobEvent } from '../events.ts';
import { createNotifier } from '../notifier.ts';
import { NOTIFY_ERRORS } from '../errors.ts';
import { createAppriseSender } from './apprise.ts';
import { readNotifyResults } from '../results.ts';

// Real Debian apprise (scripts/system-deps.sh installs it), pointed at a loopback json:// URL.
const logger = createLogger('notify-test', { level: 'silent' });
let state: string;
beforeAll(async () => {
  state = await mkdtemp(join(tmpdir(), 'imk-apprise-'));
});
afterAll(async () => {
  await rm(state, { recursive: true, force: true });
});

describe('apprise sender (real apprise)', () => {
  it('without apprise: says so, as a setup a person must fix (not passing trouble); the outbox still keeps it', async () => {
    const env = {
      ...process.env,
      IMK_APPRISE: join(state, 'no-apprise-here'),
      APPRISE_TARGETS: 'json://127.0.0.1:9/x',
    };
    const config = NotifyConfigSchema.parse({
      targets: [{ type: 'apprise', name: 'phone', urls: { env: 'APPRISE_TARGETS' } }],
    });
    const target = config.targets[0];
    if (target?.type !== 'apprise') throw new Error('expected an apprise target');
    const sender = createAppriseSender(target, 'phone', { env, timeoutMs: 5000, scratchDir: state });
    const event = {
      ...jobEvent('job.failed', { jobId: 'job_m', title: 'Song', reason: 'x' }),
      id: 'e1',
      at: new Date().toISOString(),
      host: 'h',
    };
    const error = await sender.send(event).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(isImkError(error, 'NOTIFY_APPRISE_MISSING')).toBe(true);
    expect(String(error)).toMatch(/phone: apprise is not installed \(apt-get install apprise\)/);
    // The catalogue's word, the only one: a person must install it (503), not "try again" (it said retryable).
    expect(NOTIFY_ERRORS.NOTIFY_APPRISE_MISSING.retryable).toBe(false);
    expect(isRetryableError(error)).toBe(false);
    expect(httpStatusOf(error)).toBe(503);
    // The notifier keeps the notification and tries again (docs/notifications.md): installing apprise sends it.
    const stateDir = join(state, 'missing');
    const notifier = createNotifier({ stateDir, config, logger, env });
    await notifier.emit(jobEvent('job.failed', { jobId: 'job_m', title: 'Song', reason: 'x' }));
    await notifier.drain();
    const [result] = await readNotifyResults(stateDir);
    expect(result).toMatchObject({ target: 'phone', ok: false, final: false });
    expect(result?.error).toContain('apprise is not installed');
  });

  it('delivers through apprise to a json:// URL taken from an env variable, never from its command line', async () => {
    const receiver = await startReceiver();
    try {
      const port = new URL(receiver.url).port;
      const config = NotifyConfigSchema.parse({
        targets: [{ type: 'apprise', name: 'apprise', urls: { env: 'APPRISE_TARGETS' } }],
      });
      const notifier = createNotifier({
        stateDir: state,
        config,
        logger,
        env: { ...process.env, APPRISE_TARGETS: `json://127.0.0.1:${port}/apprise-in` },
      });
      await notifier.emit(jobEvent('job.failed', { jobId: 'job_z', title: 'Song', reason: 'decode failed' }));
      await notifier.drain();
      expect(receiver.requests).toHaveLength(1);
      const [request] = receiver.requests;
      expect(request?.method).toBe('POST');
      expect(request?.url).toBe('/apprise-in');
      const body = JSON.parse(request?.body ?? '{}') as { title: string; message: string; type: string };
      expect(body.title).toBe('Job failed: Song');
      expect(body.message).toContain('decode failed');
      expect(body.type).toBe('failure');
      const [result] = await readNotifyResults(state);
      expect(result).toMatchObject({ target: 'apprise', ok: true });
      // The private URL file is gone once apprise ran.
      expect(await readdir(join(state, 'notify', 'tmp'))).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  it('keeps commas that belong to a URL (a header, a list of recipients); splits only between URLs', async () => {
    const receiver = await startReceiver();
    try {
      const base = `json://127.0.0.1:${new URL(receiver.url).port}`;
      const config = NotifyConfigSchema.parse({
        targets: [{ type: 'apprise', name: 'team', urls: { env: 'APPRISE_TARGETS' } }],
      });
      const notifier = createNotifier({
        stateDir: state,
        config,
        logger,
        env: { ...process.env, APPRISE_TARGETS: `${base}/one?+X-Team=bass,drums,${base}/two ${base}/three` },
      });
      await notifier.emit(jobEvent('job.succeeded', { jobId: 'job_c' }));
      await notifier.drain();
      const byPath = Object.fromEntries(receiver.requests.map((r) => [r.url, r.headers['x-team'] ?? '']));
      expect(byPath).toEqual({ '/one': 'bass,drums', '/two': '', '/three': '' });
    } finally {
      await receiver.close();
    }
  });

  it('a URL list from a file, one per line (a # line skipped), reaches every URL: a list is no one-line secret', async () => {
    const receiver = await startReceiver();
    try {
      const base = `json://127.0.0.1:${new URL(receiver.url).port}`;
      const file = join(state, 'apprise-urls.txt');
      await writeFile(file, `# the band\n${base}/one\r\n${base}/two\n`);
      const config = NotifyConfigSchema.parse({
        targets: [{ type: 'apprise', name: 'band', urls: { file } }],
      });
      const notifier = createNotifier({ stateDir: state, config, logger, env: process.env });
      await notifier.emit(jobEvent('job.succeeded', { jobId: 'job_l' }));
      await notifier.drain();
      expect(receiver.requests.map((r) => r.url).sort()).toEqual(['/one', '/two']);
    } finally {
      await receiver.close();
    }
  });

  it('records a failure when apprise cannot deliver (receiver answers 500) and keeps the event for a retry', async () => {
    const receiver = await startReceiver(() => ({ status: 500 }));
    try {
      const port = new URL(receiver.url).port;
      const config = NotifyConfigSchema.parse({
        targets: [{ type: 'apprise', name: 'apprise-down', urls: { env: 'APPRISE_TARGETS' } }],
      });
      const notifier = createNotifier({
        stateDir: state,
        config,
        logger,
        env: { ...process.env, APPRISE_TARGETS: `json://127.0.0.1:${port}/x` },
      });
      await notifier.emit(jobEvent('job.succeeded', { jobId: 'job_y' }));
      await notifier.drain();
      expect(receiver.requests.length).toBeGreaterThanOrEqual(1);
      const [result] = await readNotifyResults(state);
      expect(result).toMatchObject({ target: 'apprise-down', ok: false, final: false });
      expect(result?.error).toContain('apprise apprise-down: exit');
      expect(await readdir(join(state, 'notify', 'outbox'))).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('a long failure reason and a title with a NUL or a line break arrive: the body goes on stdin, not on the command line', async () => {
    // A command-line argument holds no NUL and at most 128 KiB: such an event failed every try, and its
    // error ('exit signal (undefined undefined)') said nothing.
    const receiver = await startReceiver();
    try {
      const config = NotifyConfigSchema.parse({
        targets: [{ type: 'apprise', name: 'chat', urls: { env: 'APPRISE_TARGETS' } }],
      });
      const stateDir = join(state, 'long');
      const notifier = createNotifier({
        stateDir,
        config,
        logger,
        env: { ...process.env, APPRISE_TARGETS: `json://127.0.0.1:${new URL(receiver.url).port}/in` },
      });
      const reason = `decode failed:\n${'ffmpeg said a lot. '.repeat(10_000)}the end`;
      await notifier.emit(jobEvent('job.failed', { jobId: 'job_l', title: 'Side\u0000A\nB', reason }));
      await notifier.drain();
      const [request] = receiver.requests;
      const body = JSON.parse(request?.body ?? '{}') as { title: string; message: string };
      expect(body.title).toBe('Job failed: Side A B');
      expect(body.message).toBe(`Job job_l failed for good: ${reason}`);
      const [result] = await readNotifyResults(stateDir);
      expect(result).toMatchObject({ target: 'chat', ok: true });
    } finally {
      await receiver.close();
    }
  });

  it('an apprise that never ends, behind a wrapper script, is ended whole at timeoutSec: the send waits no longer', async () => {
    // apprise installed in a venv or a container is often run through a script that does not `exec` it;
    // ending the script alone left its apprise (here a sleep) holding the output, and the send waited for it.
    const dir = join(state, 'wrapped');
    await mkdir(dir, { recursive: true });
    const wrapper = join(dir, 'apprise');
    const started = join(dir, 'hung.pid');
    await writeFile(wrapper, `#!/bin/sh\nsleep 90 &\necho $! > '${started}'\nwait\n`, { mode: 0o755 });
    const config = NotifyConfigSchema.parse({
      targets: [{ type: 'apprise', name: 'chat', urls: { env: 'APPRISE_TARGETS' } }],
      timeoutSec: 1,
    });
    const notifier = createNotifier({
      stateDir: dir,
      config,
      logger,
      env: { ...process.env, IMK_APPRISE: wrapper, APPRISE_TARGETS: 'json://127.0.0.1:9/x' },
    });
    await notifier.emit(jobEvent('job.succeeded', { jobId: 'job_h' }));
    const began = Date.now();
    await notifier.drain();
    // The sleep would hold it 90 s; the timeout (1 s) and the grace before a SIGKILL (1 s) are what it took.
    expect(Date.now() - began).toBeLessThan(60_000);
    const [result] = await readNotifyResults(dir);
    expect(result).toMatchObject({ target: 'chat', ok: false, final: false });
    expect(result?.error).toContain('apprise chat: no answer within 1000 ms');
    // What the wrapper started is gone too, not left running.
    const hung = Number(await readFile(started, 'utf8'));
    await expect.poll(() => isRunning(hung), { timeout: 10_000 }).toBe(false);
  });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
