import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { startReceiver } from '../test/receiver.ts';
import { NotifyConfigSchema } from './config.ts';
import { jobEvent, syncEvent } from './events.ts';
import { createNotifier } from './notifier.ts';
import { readNotifyResults } from './results.ts';
import { outboxDir, resultsFile } from './store.ts';

const logger = createLogger('notify-test', { level: 'silent' });
let state: string;
beforeEach(async () => {
  state = await mkdtemp(join(tmpdir(), 'imk-notify-'));
});
afterEach(async () => {
  await rm(state, { recursive: true, force: true });
});

/** How a receiver checks the signature (as docs/notifications.md shows it). */
function verify(body: string, header: string | undefined, secret: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const done = jobEvent('job.succeeded', { jobId: 'job_a1', artist: 'Björk', title: 'Jóga' });

describe('notifier (webhook and ntfy against loopback receivers)', () => {
  it('signs the webhook body with HMAC-SHA256 under a secret from a file, and publishes to ntfy', async () => {
    const hook = await startReceiver();
    const ntfy = await startReceiver();
    const secretFile = join(state, 'hook-secret');
    await writeFile(secretFile, 's3cret-hmac-key\n');
    try {
      const config = NotifyConfigSchema.parse({
        targets: [
          { type: 'webhook', name: 'home', url: `${hook.url}/hook?key=abc`, secret: { file: secretFile } },
          { type: 'ntfy', server: ntfy.url, topic: 'imk_test', token: { env: 'NTFY_TOKEN' } },
        ],
      });
      const notifier = createNotifier({ stateDir: state, config, logger, env: { NTFY_TOKEN: 'tk_abc' } });
      await notifier.emit(done);
      await notifier.drain();

      expect(hook.requests).toHaveLength(1);
      const [request] = hook.requests;
      expect(request?.method).toBe('POST');
      expect(request?.url).toBe('/hook?key=abc');
      expect(request?.headers['x-imk-event']).toBe('job.succeeded');
      expect(
        verify(request?.body ?? '', request?.headers['x-imk-signature'] as string, 's3cret-hmac-key'),
      ).toBe(true);
      expect(verify(request?.body ?? '', request?.headers['x-imk-signature'] as string, 'wrong')).toBe(false);
      const body = JSON.parse(request?.body ?? '{}') as Record<string, unknown>;
      expect(body).toMatchObject({
        type: 'job.succeeded',
        job_id: 'job_a1',
        artist: 'Björk',
        song_title: 'Jóga',
      });
      expect(body.title).toBe('Done: Björk - Jóga');

      expect(ntfy.requests).toHaveLength(1);
      const [published] = ntfy.requests;
      expect(published?.method).toBe('POST');
      expect(published?.url).toBe('/');
      expect(published?.headers.authorization).toBe('Bearer tk_abc');
      expect(JSON.parse(published?.body ?? '{}')).toMatchObject({
        topic: 'imk_test',
        title: 'Done: Björk - Jóga',
      });

      const results = await readNotifyResults(state);
      expect(results.map((r) => [r.target, r.ok, r.final])).toEqual(
        expect.arrayContaining([
          ['home', true, true],
          ['ntfy-1', true, true],
        ]),
      );
      expect(await readdir(join(state, 'notify', 'outbox'))).toEqual([]);
    } finally {
      await hook.close();
      await ntfy.close();
    }
  });

  it('retries a failing target with growing waits, records each try, and gives up after the last', async () => {
    // The receiver refuses the first two tries, then takes the third.
    const hook = await startReceiver((_, index) => ({ status: index < 2 ? 503 : 200 }));
    let clock = 1_000_000;
    try {
      const config = NotifyConfigSchema.parse({
        targets: [{ type: 'webhook', url: hook.url }],
        retry: { attempts: 3, firstDelaySec: 10, maxDelaySec: 15 },
      });
      const notifier = createNotifier({ stateDir: state, config, logger, now: () => clock });
      await notifier.emit(
        syncEvent('sync.failed', [{ jobId: 'job_b', path: 'files/x.m4a', error: 'denied' }]),
      );
      await notifier.drain();
      expect(hook.requests).toHaveLength(1);
      // Not due yet: nothing is sent before the backoff ends.
      clock += 9_000;
      await notifier.drain();
      expect(hook.requests).toHaveLength(1);
      clock += 1_000;
      await notifier.drain();
      expect(hook.requests).toHaveLength(2);
      // The second wait is 20 s, capped at maxDelaySec (15 s).
      clock += 15_000;
      await notifier.drain();
      expect(hook.requests).toHaveLength(3);
      const results = (await readNotifyResults(state)).reverse();
      expect(results.map((r) => [r.attempt, r.ok, r.final])).toEqual([
        [1, false, false],
        [2, false, false],
        [3, true, true],
      ]);
      expect(results[0]?.error).toContain('HTTP 503');
    } finally {
      await hook.close();
    }
  });

  it('gives up after the configured tries and says so in the record; no secret reaches the log', async () => {
    const hook = await startReceiver(() => ({ status: 500 }));
    let clock = 0;
    let logged = '';
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logged += chunk.toString();
        callback();
      },
    });
    try {
      const config = NotifyConfigSchema.parse({
        targets: [{ type: 'webhook', url: `${hook.url}/in?token=query-secret`, secret: { env: 'HOOK_KEY' } }],
        retry: { attempts: 2, firstDelaySec: 1, maxDelaySec: 1 },
      });
      const notifier = createNotifier({
        stateDir: state,
        config,
        logger: createLogger('notify-test', { level: 'info', destination }),
        env: { HOOK_KEY: 'hmac-secret-value' },
        now: () => clock,
      });
      await notifier.emit(done);
      await notifier.drain();
      clock += 1000;
      await notifier.drain();
      clock += 60_000;
      await notifier.drain();
      expect(hook.requests).toHaveLength(2);
      const [last] = await readNotifyResults(state);
      expect(last).toMatchObject({ ok: false, final: true, attempt: 2 });
      expect(logged).toContain('notification given up');
      expect(logged).not.toContain('query-secret');
      expect(logged).not.toContain('hmac-secret-value');
      expect(JSON.stringify(last)).not.toContain('query-secret');
      expect(await readdir(join(state, 'notify', 'outbox'))).toEqual([]);
    } finally {
      await hook.close();
    }
  });

  it('a failure reason that quotes a password or a token reaches the receiver with them hidden', async () => {
    const hook = await startReceiver();
    try {
      const config = NotifyConfigSchema.parse({ targets: [{ type: 'webhook', url: `${hook.url}/hook` }] });
      const notifier = createNotifier({ stateDir: state, config, logger });
      const link = 'https://fan:Hunter2-PW@media.example.org/song.mp3?token=TOK-5581&x=1';
      await notifier.emit(
        jobEvent('job.failed', { jobId: 'job_f1', reason: `download of ${link} failed: 403` }),
      );
      await notifier.emit(
        syncEvent('sync.failed', [
          {
            jobId: 'job_f1',
            path: 'nas:/music/a.m4a',
            error: 'sftp://music:Sftp-PW-99@nas.local:22/music: connection refused',
          },
        ]),
      );
      await notifier.drain();
      const bodies = hook.requests.map((r) => r.body).join('\n');
      expect(hook.requests).toHaveLength(2);
      for (const secret of ['Hunter2-PW', 'TOK-5581', 'Sftp-PW-99']) expect(bodies).not.toContain(secret);
      // The rest of the reason is still told.
      expect(bodies).toContain('media.example.org/song.mp3');
      expect(bodies).toContain('failed: 403');
      expect(bodies).toContain('nas:/music/a.m4a');
    } finally {
      await hook.close();
    }
  });

  it('sends nothing for an event that is turned off, globally or for one target', async () => {
    const hook = await startReceiver();
    try {
      const config = NotifyConfigSchema.parse({
        events: { jobSucceeded: false },
        targets: [
          { type: 'webhook', name: 'all', url: hook.url },
          { type: 'webhook', name: 'failures', url: `${hook.url}/failures`, events: ['job.failed'] },
        ],
      });
      const notifier = createNotifier({ stateDir: state, config, logger });
      await notifier.emit(done);
      await notifier.emit(syncEvent('sync.delivered', [{ jobId: 'job_c', path: 'local:/music/a.m4a' }]));
      await notifier.drain();
      expect(hook.requests.map((r) => r.url)).toEqual(['/']);
      expect(JSON.parse(hook.requests[0]?.body ?? '{}')).toMatchObject({ type: 'sync.delivered', count: 1 });
    } finally {
      await hook.close();
    }
  });

  it('two notifiers draining one outbox send each event once (claim by rename)', async () => {
    const hook = await startReceiver();
    try {
      const config = NotifyConfigSchema.parse({ targets: [{ type: 'webhook', url: hook.url }] });
      const a = createNotifier({ stateDir: state, config, logger });
      const b = createNotifier({ stateDir: state, config, logger });
      for (let i = 0; i < 8; i++) await a.emit(jobEvent('job.failed', { jobId: `job_${i}`, reason: 'boom' }));
      await Promise.all([a.drain(), b.drain()]);
      const ids = hook.requests.map((r) => (JSON.parse(r.body) as { job_id: string }).job_id).sort();
      expect(ids).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `job_${i}`));
    } finally {
      await hook.close();
    }
  });

  it('a sent event is sent once, even when its result cannot be recorded (state file not writable)', async () => {
    // results.jsonl left unwritable (here: a folder in its place; in a home lab, a file made by a run as
    // root). The receiver got the event: it must not get it again at every pass.
    const hook = await startReceiver();
    try {
      await mkdir(resultsFile(state), { recursive: true });
      const config = NotifyConfigSchema.parse({ targets: [{ type: 'webhook', url: hook.url }] });
      const notifier = createNotifier({ stateDir: state, config, logger });
      await notifier.emit(done);
      for (let pass = 0; pass < 3; pass++) await notifier.drain();
      expect(hook.requests).toHaveLength(1);
      expect(await readdir(outboxDir(state))).toEqual([]);
    } finally {
      await hook.close();
    }
  });

  it('a receiver URL with a user and password (basic auth, e.g. n8n or an ntfy server) is sent the login as a header', async () => {
    // fetch refuses a URL that holds credentials: every send failed, for ever. As curl does, the user
    // info becomes an `Authorization: Basic` header (decoded: %40 is "@").
    const hook = await startReceiver();
    const ntfy = await startReceiver();
    try {
      const withLogin = (url: string) => url.replace('http://', 'http://hook:p%40ss%20w@');
      const config = NotifyConfigSchema.parse({
        targets: [
          { type: 'webhook', name: 'n8n', url: `${withLogin(hook.url)}/webhook/x` },
          { type: 'ntfy', name: 'phone', server: withLogin(ntfy.url), topic: 'imk' },
        ],
      });
      const notifier = createNotifier({ stateDir: state, config, logger });
      await notifier.emit(done);
      await notifier.drain();
      const basic = `Basic ${Buffer.from('hook:p@ss w').toString('base64')}`;
      expect(hook.requests.map((r) => [r.url, r.headers.authorization])).toEqual([['/webhook/x', basic]]);
      expect(ntfy.requests.map((r) => [r.url, r.headers.authorization])).toEqual([['/', basic]]);
      expect((await readNotifyResults(state)).map((r) => r.ok)).toEqual([true, true]);
    } finally {
      await hook.close();
      await ntfy.close();
    }
  });

  it("each log line about a job's notification names the job, so one job is followed across the logs by its id", async () => {
    let up = false;
    const hook = await startReceiver(() => ({ status: up ? 200 : 503 }));
    const lines: Record<string, unknown>[] = [];
    const capture = createLogger('notify-test', {
      destination: new Writable({
        write(chunk: Buffer, _e, callback) {
          lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          callback();
        },
      }),
    });
    try {
      const config = NotifyConfigSchema.parse({
        targets: [{ type: 'webhook', name: 'hass', url: hook.url }],
      });
      let clock = Date.parse('2026-06-01T12:00:00Z');
      const notifier = createNotifier({ stateDir: state, config, logger: capture, now: () => clock });
      await notifier.emit(done);
      await notifier.drain();
      clock += 3_600_000;
      up = true;
      await notifier.drain();
      const said = lines
        .filter((l) => l.target === 'hass')
        .map((l) => [l.job_id, String(l.msg).split(':')[0]]);
      expect(said).toEqual([
        ['job_a1', 'notification failed; will retry'],
        ['job_a1', 'notification sent'],
      ]);
    } finally {
      await hook.close();
    }
  });
  it('an outbox entry that is no regular file is named by its folder and name in the log, not by the host path of state/', async () => {
    const lines: Record<string, unknown>[] = [];
    const capture = createLogger('notify-test', {
      destination: new Writable({
        write(chunk: Buffer, _e, callback) {
          lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          callback();
        },
      }),
    });
    const hook = await startReceiver();
    try {
      const config = NotifyConfigSchema.parse({
        targets: [{ type: 'webhook', name: 'hass', url: hook.url }],
      });
      await mkdir(outboxDir(state), { recursive: true });
      // A FIFO in the outbox (a restore, another user): refused, never waited on, and said readably.
      await execa('mkfifo', [join(outboxDir(state), '20260601T120000Z-fifo.json')]);
      const notifier = createNotifier({ stateDir: state, config, logger: capture });
      await notifier.drain();
      const said = lines.map((l) => String(l.msg)).find((m) => m.startsWith('outbox entry is not readable'));
      expect(said).toContain('outbox/20260601T120000Z-fifo.json is a FIFO');
      expect(said).not.toContain(state);
    } finally {
      await hook.close();
    }
  });
});
