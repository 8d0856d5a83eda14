import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startReceiver } from '../test/receiver.ts';
import { createLogger } from '@imk/log';
import { NotifyConfigSchema } from './config.ts';
import { jobEvent } from './events.ts';
import { createNotifier } from './notifier.ts';
import { readNotifyResults } from './results.ts';
import { outboxDir } from './store.ts';

// Real loopback servers that answer badly: a body without end, a huge error page. A notification must
// not wait for a body it does not need, nor hold more than a little of one in memory.
const logger = createLogger('notify-test', { level: 'silent' });
let state: string;
let server: Server | undefined;
beforeEach(async () => {
  state = await mkdtemp(join(tmpdir(), 'imk-notify-bad-'));
});
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  await rm(state, { recursive: true, force: true });
});

/** What the streaming server saw of its one answer: how much it wrote, and whether the client hung up first. */
interface Streamed {
  sentMiB: number;
  hungUp: Promise<boolean>;
}

/**
 * Answers `status`, then writes 1 MiB chunks for as long as the client reads (`totalMiB`: then ends). The
 * client hanging up before the end is how the test knows it did not wait for (or read) the whole body,
 * whatever the machine's load does to how long the send takes.
 */
async function streamingServer(
  status: number,
  totalMiB = Infinity,
): Promise<{ url: string; streamed: Streamed }> {
  let hungUp: (early: boolean) => void = () => undefined;
  const streamed: Streamed = { sentMiB: 0, hungUp: new Promise((resolve) => (hungUp = resolve)) };
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      const chunk = Buffer.alloc(1 << 20, 'x');
      let sent = 0;
      const write = () => {
        while (sent < totalMiB) {
          streamed.sentMiB = ++sent;
          if (!res.write(chunk)) return;
        }
        res.end();
      };
      res.on('close', () => hungUp(!res.writableFinished));
      res.on('drain', write);
      res.on('error', () => undefined);
      write();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, streamed };
}

describe('receivers that answer with too much', () => {
  it('a webhook that answers 200 and then streams without end: sent at once, memory stays small', async () => {
    const { url, streamed } = await streamingServer(200);
    // A timeout far longer than any send takes, even on a loaded machine: waiting for the endless body would
    // have to run into it, and be recorded as a failure.
    const config = NotifyConfigSchema.parse({
      targets: [{ type: 'webhook', name: 'stream', url }],
      timeoutSec: 120,
    });
    const notifier = createNotifier({ stateDir: state, config, logger });
    await notifier.emit(jobEvent('job.succeeded', { jobId: 'job_s' }));
    const rss = process.memoryUsage().rss;
    await notifier.drain();
    // Sent at once: delivered on the status, the body left unread (the client hung up on it).
    expect(await streamed.hungUp).toBe(true);
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024);
    const [result] = await readNotifyResults(state);
    expect(result).toMatchObject({ target: 'stream', ok: true, final: true });
    expect(result?.error).toBeUndefined();
  });

  it('an ntfy server that answers 500 with a 200 MiB page: one short error recorded, quickly', async () => {
    const { url, streamed } = await streamingServer(500, 200);
    const config = NotifyConfigSchema.parse({
      targets: [{ type: 'ntfy', name: 'big', server: url, topic: 'imk' }],
      timeoutSec: 120,
    });
    const notifier = createNotifier({ stateDir: state, config, logger });
    await notifier.emit(jobEvent('job.failed', { jobId: 'job_b', reason: 'boom' }));
    const rss = process.memoryUsage().rss;
    await notifier.drain();
    // Quickly: the client hung up on the page, long before the server could write all 200 MiB of it (what
    // fits in the sockets' buffers is a few MiB).
    expect(await streamed.hungUp).toBe(true);
    expect(streamed.sentMiB).toBeLessThan(100);
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024);
    const [result] = await readNotifyResults(state);
    expect(result).toMatchObject({ target: 'big', ok: false, final: false });
    expect(result?.error).toMatch(/^ntfy big \(http:\/\/127\.0\.0\.1:\d+\): HTTP 500 \(x{200}\)$/);
  });

  it('a receiver that never answers holds a pass up once, not once per waiting event', async () => {
    // Home Assistant down while ten jobs finished: each event waits for it. A pass (and so a stop, which
    // makes a last pass) waits out one timeout for that target; its other events wait for the next pass.
    let answering = false;
    const hook = await startReceiver(() => ({ status: 200, delayMs: answering ? 0 : 600_000 }));
    try {
      const config = NotifyConfigSchema.parse({
        targets: [{ type: 'webhook', name: 'hanging', url: hook.url }],
        timeoutSec: 1,
      });
      const notifier = createNotifier({ stateDir: state, config, logger });
      for (let i = 0; i < 6; i++) await notifier.emit(jobEvent('job.succeeded', { jobId: `job_${i}` }));
      await notifier.drain();
      // One send waited out the timeout; the other five events were not tried in this pass (before, each
      // was sent in turn and waited out its own: six requests, six timeouts).
      expect(hook.requests).toHaveLength(1);
      const results = await readNotifyResults(state);
      expect(results.map((r) => [r.target, r.ok, r.attempt])).toEqual([['hanging', false, 1]]);
      expect(results[0]?.error).toContain('no answer within 1000 ms');

      // Back up: the next pass sends every one of them (the one that failed once its retry is due).
      answering = true;
      await createNotifier({ stateDir: state, config, logger, now: () => Date.now() + 60_000 }).drain();
      const sent = hook.requests.slice(1).map((r) => (JSON.parse(r.body) as { job_id: string }).job_id);
      expect(sent.sort()).toEqual(['job_0', 'job_1', 'job_2', 'job_3', 'job_4', 'job_5']);
      expect(await readdir(outboxDir(state))).toEqual([]);
    } finally {
      await hook.close();
    }
  });

  it('a receiver that refuses (401, 403) is recorded naming the target and the setting to check', async () => {
    process.env.IMK_TEST_NTFY_TOKEN = 'tk_refused_token_0123';
    const refusing = await startReceiver((request) => ({
      status: request.headers.authorization === undefined ? 403 : 401,
      body: '{"error":"forbidden"}',
    }));
    try {
      const config = NotifyConfigSchema.parse({
        targets: [
          { type: 'webhook', name: 'ha', url: `${refusing.url}/api/webhook/imk` },
          { type: 'ntfy', name: 'phone', server: refusing.url, topic: 'imk' },
          {
            type: 'ntfy',
            name: 'tablet',
            server: refusing.url,
            topic: 'imk2',
            token: { env: 'IMK_TEST_NTFY_TOKEN' },
          },
        ],
      });
      const notifier = createNotifier({ stateDir: state, config, logger });
      await notifier.emit(jobEvent('job.succeeded', { jobId: 'job_r' }));
      await notifier.drain();
      const errors = Object.fromEntries((await readNotifyResults(state)).map((r) => [r.target, r.error]));
      expect(errors.ha).toMatch(
        /^webhook ha \(http:\/\/127\.0\.0\.1:\d+\): HTTP 403 \(.*\); the receiver refused target ha: check its url/,
      );
      expect(errors.phone).toMatch(
        /HTTP 403 .*; the topic of target phone needs a login on this server: give the target a token:/,
      );
      expect(errors.tablet).toMatch(/HTTP 401 .*; the server refused the token of target tablet \(token:\)/);
      expect(JSON.stringify(errors)).not.toContain('tk_refused_token_0123');
    } finally {
      delete process.env.IMK_TEST_NTFY_TOKEN;
      await refusing.close();
    }
  });

  it('a webhook that redirects (301) is not followed: recorded saying so and where it pointed, its path left out', async () => {
    const moved = await startReceiver(() => ({ status: 301, body: 'Moved' }));
    // The stand-in cannot set a Location header: a server of its own for that.
    server = createServer((req, res) => {
      req.resume();
      res.writeHead(301, { Location: 'https://hooks.example.com/api/webhook/s3cretid0123456789abcdef' });
      res.end();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhook/old`;
    try {
      const config = NotifyConfigSchema.parse({
        targets: [
          { type: 'webhook', name: 'ha', url },
          { type: 'webhook', name: 'bare', url: moved.url },
        ],
      });
      const notifier = createNotifier({ stateDir: state, config, logger });
      await notifier.emit(jobEvent('job.succeeded', { jobId: 'job_m' }));
      await notifier.drain();
      const errors = Object.fromEntries((await readNotifyResults(state)).map((r) => [r.target, r.error]));
      expect(errors.ha).toMatch(
        /: HTTP 301; a redirect is not followed, so that a token or a signed body never goes to an address you did not give: set the url to where it points \(to https:\/\/hooks\.example\.com; `curl -I` on the url shows the whole address\)$/,
      );
      expect(errors.ha).not.toContain('s3cretid');
      expect(errors.bare).toMatch(/HTTP 301 \(Moved\); a redirect is not followed.*where it points$/);
    } finally {
      await moved.close();
    }
  });

  it('a webhook over TLS with a self-signed certificate says what to do, and what it says works', async () => {
    const key = join(state, 'key.pem');
    const cert = join(state, 'cert.pem');
    await execa('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    const tls = createHttpsServer({ key: await readFile(key), cert: await readFile(cert) }, (req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/api/webhook/imk`;
    try {
      const config = NotifyConfigSchema.parse({ targets: [{ type: 'webhook', name: 'ha', url }] });
      const notifier = createNotifier({ stateDir: state, config, logger });
      await notifier.emit(jobEvent('job.succeeded', { jobId: 'job_t' }));
      await notifier.drain();
      const [result] = await readNotifyResults(state);
      expect(result?.error).toMatch(
        /^webhook ha \(https:\/\/127\.0\.0\.1:\d+\): self-signed certificate; the server's certificate is not signed by an authority this host trusts .*NODE_EXTRA_CA_CERTS=\/path\/to\/ca\.pem/,
      );
      // The advice, followed: a Node given the certificate that way reaches the server.
      const followed = await execa(
        process.execPath,
        ['-e', `fetch(${JSON.stringify(url)}, { method: 'POST' }).then((r) => console.log(r.status))`],
        { env: { NODE_EXTRA_CA_CERTS: cert } },
      );
      expect(followed.stdout).toBe('200');
    } finally {
      tls.closeAllConnections();
      await new Promise((resolve) => tls.close(resolve));
    }
  });
});
