import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { startReceiver } from '../test/receiver.ts';
import { NotifyConfigSchema } from './config.ts';
import { jobEvent } from './events.ts';
import { refreshMediaServer } from './media/refresh.ts';
import { MediaServerSchema } from './media/schema.ts';
import { createNotifier } from './notifier.ts';
import { readNotifyResults } from './results.ts';
import { NTFY_MAX_MESSAGE_BYTES } from './senders/ntfy.ts';

// Webhook services keep their token in the URL: discord.com/api/webhooks/<id>/<token>, Slack's
// /services/T…/B…/<secret>, a topic that is its own password. A failed send names the target by scheme,
// host and port only, in the recorded result and in every log line.
let state: string;
beforeEach(async () => {
  state = await mkdtemp(join(tmpdir(), 'imk-notify-urls-'));
});
afterEach(async () => {
  await rm(state, { recursive: true, force: true });
});

function capturingLogger(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: createLogger('notify-test', { level: 'debug', destination }), text: () => lines.join('') };
}

const DISCORD_TOKEN = 'Xy7_kQ2mZpL9vR4tWb8nC1dF6gH3jK5sA0eU-iO7yT2qB9xN4cV6mP1zL8wS3rE5uJ0a';
const SLACK_SECRET = 'lcvL9MWvWgjWJCJL1kKaJl5K';

describe('a target URL in a failure message', () => {
  it('webhook targets whose path holds the token: only scheme, host and port are told', async () => {
    const receiver = await startReceiver(() => ({ status: 500, body: 'no' }));
    try {
      const { logger, text } = capturingLogger();
      const config = NotifyConfigSchema.parse({
        targets: [
          {
            type: 'webhook',
            name: 'discord',
            url: `${receiver.url}/api/webhooks/1187654321098765432/${DISCORD_TOKEN}`,
          },
          {
            type: 'webhook',
            name: 'slack',
            url: `${receiver.url}/services/T0ABCDE12/B0FGHIJ34/${SLACK_SECRET}`,
          },
          { type: 'webhook', name: 'hook', url: `${receiver.url}/hook?key=plain&sig=abcdef` },
        ],
        retry: { attempts: 1 },
        timeoutSec: 5,
      });
      const notifier = createNotifier({ stateDir: state, config, logger });
      await notifier.emit(jobEvent('job.failed', { jobId: 'job_u', reason: 'boom' }));
      await notifier.drain();
      const results = await readNotifyResults(state);
      expect(results.map((r) => r.error).sort()).toEqual(
        ['discord', 'hook', 'slack'].map((name) => `webhook ${name} (${receiver.url}): HTTP 500 (no)`),
      );
      const logged = text();
      expect(logged).toContain('webhook discord');
      for (const secret of [DISCORD_TOKEN, SLACK_SECRET, 'T0ABCDE12', '1187654321098765432', 'sig=abcdef'])
        expect(logged).not.toContain(secret);
    } finally {
      await receiver.close();
    }
  });

  it('ntfy: the topic (its own password on a public server) is not told', async () => {
    const receiver = await startReceiver(() => ({ status: 403 }));
    try {
      const config = NotifyConfigSchema.parse({
        targets: [{ type: 'ntfy', name: 'phone', server: receiver.url, topic: 'imk_s3cret_topic_42' }],
        retry: { attempts: 1 },
      });
      const notifier = createNotifier({ stateDir: state, config, logger: capturingLogger().logger });
      await notifier.emit(jobEvent('job.failed', { jobId: 'job_t', reason: 'boom' }));
      await notifier.drain();
      const [result] = await readNotifyResults(state);
      expect(result?.error).toBe(
        `ntfy phone (${receiver.url}): HTTP 403; the topic of target phone needs a login on this server: give the target a token: (an access token of a user that may publish to it)`,
      );
    } finally {
      await receiver.close();
    }
  });

  it('a media server behind a path with a key in it (a reverse proxy): the key is not told', async () => {
    const receiver = await startReceiver(() => ({ status: 401 }));
    try {
      const server = MediaServerSchema.parse({
        type: 'jellyfin',
        url: `${receiver.url}/proxy/${DISCORD_TOKEN}`,
        token: { env: 'JF_TOKEN' },
      });
      const error = await refreshMediaServer(server, 'jf', ['/music/a.flac'], {
        env: { JF_TOKEN: 'jellyfin-api-token-value' },
        timeoutMs: 5000,
      }).catch((e: unknown) => e as Error);
      expect((error as Error).message).toBe(
        `jellyfin jf (${receiver.url}): HTTP 401; Jellyfin refused the API key of mediaServers.jf.token: check it, or make a new one in Jellyfin's Dashboard > API Keys`,
      );
    } finally {
      await receiver.close();
    }
  });
});

describe('a receiver that quotes the request back in its error answer', () => {
  // Express answers `Cannot POST /api/webhook/<id>`; a proxy may quote the Authorization it refused. What
  // the URL and the headers hold comes back in the answer, which is recorded, logged and shown.
  const echo = () =>
    startReceiver((request) => ({
      status: 404,
      body: `Cannot ${request.method} ${request.url} (auth=${String(request.headers.authorization)}, token=${String(request.headers['x-plex-token'])}) ${request.body.slice(0, 40)}`,
    }));

  it('webhook, ntfy: the path, the query, the login, the token and the topic are not told', async () => {
    const receiver = await echo();
    try {
      const { logger, text } = capturingLogger();
      const port = new URL(receiver.url).port;
      const config = NotifyConfigSchema.parse({
        targets: [
          { type: 'webhook', name: 'ha', url: `${receiver.url}/api/webhook/imk-kitchen-hook?key=k3y-value` },
          { type: 'webhook', name: 'n8n', url: `http://bob:pa55-word@127.0.0.1:${port}/webhook/n8n` },
          {
            type: 'ntfy',
            name: 'phone',
            server: receiver.url,
            topic: 'imk-private-topic',
            token: { env: 'NTFY_TOKEN' },
          },
        ],
        retry: { attempts: 1 },
      });
      const notifier = createNotifier({ stateDir: state, config, logger, env: { NTFY_TOKEN: 'tk_short1' } });
      await notifier.emit(jobEvent('job.failed', { jobId: 'job_e', reason: 'boom' }));
      await notifier.drain();
      const results = await readNotifyResults(state);
      const told = `${results.map((r) => r.error).join('\n')}\n${text()}`;
      expect(results.map((r) => r.error?.split(':')[0]).sort()).toEqual([
        'ntfy phone (http',
        'webhook ha (http',
        'webhook n8n (http',
      ]);
      expect(told).toContain('HTTP 404 (Cannot POST [redacted]');
      const login = Buffer.from('bob:pa55-word').toString('base64');
      for (const secret of [
        'imk-kitchen-hook',
        'k3y-value',
        'tk_short1',
        'imk-private-topic',
        login,
        'pa55-word',
      ])
        expect(told).not.toContain(secret);
    } finally {
      await receiver.close();
    }
  });

  it('media servers: the Plex token, the Jellyfin key and the folder asked for are not told', async () => {
    const receiver = await echo();
    try {
      const env = { PLEX: 'plex-tok-9', JF: 'jf-key-77' };
      const plex = MediaServerSchema.parse({
        type: 'plex',
        url: receiver.url,
        token: { env: 'PLEX' },
        section: 2,
      });
      const jellyfin = MediaServerSchema.parse({ type: 'jellyfin', url: receiver.url, token: { env: 'JF' } });
      const errors = await Promise.all(
        [
          refreshMediaServer(plex, 'plex', ['/music/Private Artist/a.flac'], { env, timeoutMs: 5000 }),
          refreshMediaServer(jellyfin, 'jf', ['/music/a.flac'], { env, timeoutMs: 5000 }),
        ].map((send) =>
          send.then(
            () => 'sent',
            (e: unknown) => (e as Error).message,
          ),
        ),
      );
      expect(errors[0]).toMatch(
        /^plex plex \(http:\/\/127\.0\.0\.1:\d+, section 2\): HTTP 404 \(Cannot GET \[redacted\]/,
      );
      expect(errors[1]).toMatch(
        /^jellyfin jf \(http:\/\/127\.0\.0\.1:\d+\): HTTP 404 \(Cannot POST \[redacted\]/,
      );
      for (const secret of ['plex-tok-9', 'jf-key-77', 'Private%20Artist'])
        expect(errors.join('\n')).not.toContain(secret);
    } finally {
      await receiver.close();
    }
  });
});

describe('ntfy message size', () => {
  it('a message over 4 KB is cut to 4 KB of text with a mark, never sent as an attachment', async () => {
    const receiver = await startReceiver();
    try {
      const config = NotifyConfigSchema.parse({
        targets: [{ type: 'ntfy', name: 'phone', server: receiver.url, topic: 'imk' }],
      });
      const notifier = createNotifier({ stateDir: state, config, logger: capturingLogger().logger });
      // A long failure reason in a script of multi-byte characters: the cut must not split one.
      await notifier.emit(
        jobEvent('job.failed', { jobId: 'job_long', reason: 'Ошибка разделения. '.repeat(400) }),
      );
      await notifier.drain();
      const [request] = receiver.requests;
      const { message } = JSON.parse(request!.body) as { message: string };
      expect(Buffer.byteLength(message, 'utf8')).toBeLessThanOrEqual(NTFY_MAX_MESSAGE_BYTES);
      expect(Buffer.byteLength(message, 'utf8')).toBeGreaterThan(NTFY_MAX_MESSAGE_BYTES - 64);
      expect(message).toContain('job_long');
      expect(message.endsWith(' […]')).toBe(true);
      expect(message).not.toContain('\uFFFD');
    } finally {
      await receiver.close();
    }
  });
});
