import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { startReceiver } from '../test/receiver.ts';
import { DIGEST_AFTER } from './digest.ts';
import { jobEvent } from './events.ts';
import { notificationsHealthCheck, openNotifier } from './open.ts';

// config/notify.yaml edited while the services run (`imk up` for weeks): the edit is read within seconds
// and said; a broken edit is said and the settings read before stay in use. Before, the file was read at
// start only: a target added later heard nothing, a target removed still heard everything, and nothing said so.
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-notify-reload-'));
  await mkdir(join(root, 'config'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function capturingLogger(): {
  logger: ReturnType<typeof createLogger>;
  said: (text: string) => Promise<string>;
} {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return {
    logger: createLogger('notify-test', { level: 'info', destination }),
    // The positive signal a test waits on: the line that says the edit was read.
    async said(text) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const line = lines.find((l) => l.includes(text));
        if (line !== undefined) return line;
        if (Date.now() > deadline) throw new Error(`never said: ${text}\n${lines.join('')}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

const webhook = (name: string, url: string) => `  - { type: webhook, name: ${name}, url: "${url}" }\n`;
const received = async (receiver: { requests: { body: string }[] }, jobId: string) => {
  const deadline = Date.now() + 30_000;
  while (!receiver.requests.some((r) => r.body.includes(`"job_id":"${jobId}"`))) {
    if (Date.now() > deadline) throw new Error(`${jobId} never arrived`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};
const health = () => notificationsHealthCheck.run({ paths: { root, state: join(root, 'state') }, env: {} });

describe('config/notify.yaml edited while running', () => {
  it('an edit is taken and said; a broken edit is said and the settings before stay in use', async () => {
    const [first, second] = await Promise.all([startReceiver(), startReceiver()]);
    const file = join(root, 'config', 'notify.yaml');
    const { logger, said } = capturingLogger();
    await writeFile(file, `targets:\n${webhook('first', first.url)}`);
    const handle = await openNotifier({ root, logger, env: {} });
    try {
      expect(await said('notifications: targets first')).toContain(file);
      await handle.emit(jobEvent('job.succeeded', { jobId: 'job_before' }));
      await received(first, 'job_before');

      // The second target added, the first removed: said, and the next event goes to the second only.
      await writeFile(file, `events:\n  syncDelivered: false\ntargets:\n${webhook('second', second.url)}`);
      expect(await said('config/notify.yaml was changed and is read again')).toContain(
        'targets second (off: sync.delivered)',
      );
      await handle.emit(jobEvent('job.succeeded', { jobId: 'job_after' }));
      await received(second, 'job_after');
      expect(first.requests.map((r) => r.body).join()).not.toContain('job_after');

      // A typo while editing: said once, naming the field; events still go where they went.
      await writeFile(file, `targets:\n  - { type: webhook, name: second, ur: "${second.url}" }\n`);
      expect(await said('config/notify.yaml was changed but is not valid')).toMatch(
        /the settings read before stay in use until it is fixed: .*targets\.0/,
      );
      expect(await health()).toMatchObject({
        status: 'fail',
        summary: expect.stringContaining('the settings read before it was changed are in use') as unknown,
      });
      await handle.emit(jobEvent('job.succeeded', { jobId: 'job_typo' }));
      await received(second, 'job_typo');
    } finally {
      await handle.close();
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('a file invalid at start turns notifications on once it is fixed, without a restart', async () => {
    const receiver = await startReceiver();
    const file = join(root, 'config', 'notify.yaml');
    const { logger, said } = capturingLogger();
    await writeFile(file, 'targets:\n  - type: ntfy\n');
    const handle = await openNotifier({ root, logger, env: {} });
    try {
      await said('notifications are off');
      expect(await health()).toMatchObject({
        status: 'fail',
        summary: expect.stringMatching(/^off: /) as unknown,
      });
      await writeFile(file, `targets:\n${webhook('hass', receiver.url)}`);
      await said('config/notify.yaml was changed and is read again: targets hass');
      await handle.emit(jobEvent('job.failed', { jobId: 'job_fixed', reason: 'boom' }));
      await received(receiver, 'job_fixed');
      expect(await health()).toMatchObject({ status: 'ok' });
    } finally {
      await handle.close();
      await receiver.close();
    }
  });
  it("an edit during a burst keeps the minute's count: the phone is not sent another five", async () => {
    const [phone, hook] = await Promise.all([startReceiver(), startReceiver()]);
    const file = join(root, 'config', 'notify.yaml');
    const { logger, said } = capturingLogger();
    // The phone first: an event's targets are sent in order, so the webhook having it means the phone's turn passed.
    const targets = `  - { type: ntfy, name: phone, server: "${phone.url}", topic: imk }\n${webhook('hook', hook.url)}`;
    await writeFile(file, `targets:\n${targets}`);
    const handle = await openNotifier({ root, logger, env: {} });
    const emit = (id: string) => handle.emit(jobEvent('job.succeeded', { jobId: id, title: id }));
    try {
      await said('notifications: targets phone, hook');
      for (let i = 0; i < DIGEST_AFTER; i++) {
        await emit(`alone_${String(i)}`);
        await received(hook, `alone_${String(i)}`);
      }
      expect(phone.requests).toHaveLength(DIGEST_AFTER);
      await writeFile(file, `timeoutSec: 20\ntargets:\n${targets}`);
      await said('config/notify.yaml was changed and is read again');
      for (const id of ['after_0', 'after_1']) {
        await emit(id);
        await received(hook, id);
      }
      // Still the same minute: the phone's events wait for one summary (before, the new settings' notifier
      // started from a full budget and pushed each of them).
      expect(phone.requests).toHaveLength(DIGEST_AFTER);
    } finally {
      await handle.close();
      await Promise.all([phone.close(), hook.close()]);
    }
  });
});
