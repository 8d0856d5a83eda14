import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createLogger } from '@imk/log';
import { NotifyConfigSchema, createNotifier, readNotifyResults } from '@imk/notify';
import { startReceiver } from '../../../packages/notify/test/receiver.ts';
import { runOnce } from '../src/service.ts';
import { makeRoot, makeSong, publishLegacy, publishV1, removeRoot } from './helpers.ts';

// A real worker run (builtin engine, real ffmpeg) with config/notify.yaml pointing at a loopback webhook
// receiver that refuses the first tries: the jobs' results do not depend on it.
let root: string;
const logger = createLogger('test', { level: process.env.IMK_TEST_LOG ?? 'silent' });

beforeAll(async () => {
  root = await makeRoot({
    pollMs: 100,
    concurrency: 1,
    variants: ['instrumental'],
    retry: { maxAttempts: 1 },
  });
  await mkdir(join(root, 'media'));
  await makeSong(join(root, 'media', 'a.m4a'), 1);
  await writeFile(join(root, 'media', 'broken.m4a'), 'not audio at all');
}, 120_000);
afterAll(() => removeRoot(root));

describe('notifications from the worker', () => {
  it('a refused notification never fails the job: it is recorded, retried after its backoff, then sent', async () => {
    const hook = await startReceiver((_, index) => ({ status: index < 2 ? 503 : 200 }));
    try {
      const notify = {
        targets: [{ type: 'webhook', name: 'hook', url: hook.url }],
        retry: { attempts: 4, firstDelaySec: 600, maxDelaySec: 600 },
      };
      await writeFile(join(root, 'config', 'notify.yaml'), stringify(notify));
      await publishV1(
        root,
        'other',
        { job_id: 'ok1', source_type: 'local', artist: 'A', title: 'Good', audio_path: 'a.m4a' },
        {
          'a.m4a': join(root, 'media', 'a.m4a'),
        },
      );
      await publishV1(
        root,
        'other',
        { job_id: 'bad1', source_type: 'local', title: 'Broken', audio_path: 'broken.m4a' },
        {
          'broken.m4a': join(root, 'media', 'broken.m4a'),
        },
      );

      const result = await runOnce({ root, logger, concurrency: 1 });
      expect(result.succeeded).toBe(1);
      expect(result.failed).toBe(1);
      // Both events were tried once each and refused (503): recorded, not final, still in the outbox.
      expect(hook.requests).toHaveLength(2);
      const tried = await readNotifyResults(join(root, 'state'));
      expect(tried.map((r) => [r.target, r.ok, r.final])).toEqual([
        ['hook', false, false],
        ['hook', false, false],
      ]);
      expect(await readdir(join(root, 'state', 'notify', 'outbox'))).toHaveLength(2);

      // Whoever drains next (the next run, or a running service) sends them once the backoff is over:
      // not before (a drain now sends nothing), but ten minutes on (a clock moved forward) it does.
      const config = NotifyConfigSchema.parse(notify);
      await createNotifier({ stateDir: join(root, 'state'), config, logger }).drain();
      expect(hook.requests).toHaveLength(2);
      const later = () => Date.now() + 601_000;
      await createNotifier({ stateDir: join(root, 'state'), config, logger, now: later }).drain();
      const sent = hook.requests
        .slice(2)
        .map((r) => JSON.parse(r.body) as { type: string; job_id: string; message: string });
      expect(sent.map((e) => `${e.type} ${e.job_id}`).sort()).toEqual([
        'job.failed bad1',
        'job.succeeded ok1',
      ]);
      expect(sent.find((e) => e.type === 'job.failed')?.message).toMatch(/failed for good/);
      expect(await readdir(join(root, 'state', 'notify', 'outbox'))).toEqual([]);
    } finally {
      await hook.close();
    }
  });

  it('a bundle rejected as invalid is a job that failed for good: job.failed is sent, once', async () => {
    const hook = await startReceiver();
    try {
      await writeFile(
        join(root, 'config', 'notify.yaml'),
        stringify({ targets: [{ type: 'webhook', name: 'rejections', url: hook.url }] }),
      );
      // Its job.json names an audio file the bundle does not hold.
      await publishLegacy(
        root,
        'other',
        { job_id: 'rej1', source_type: 'local', artist: 'A', title: 'Never Came', audio_path: 'missing.m4a' },
        {},
      );
      const result = await runOnce({ root, logger, concurrency: 1 });
      expect(result.rejected).toBe(1);
      const sent = hook.requests.map(
        (r) => JSON.parse(r.body) as { type: string; job_id: string; error_code?: string; message: string },
      );
      expect(sent.map((e) => `${e.type} ${e.job_id} ${e.error_code ?? ''}`)).toEqual([
        'job.failed rej1 BUNDLE_REJECTED',
      ]);
      expect(sent[0]?.message).toContain('missing.m4a');

      // A later run (its start-up looks at rejected/ again) does not tell it twice.
      await runOnce({ root, logger, concurrency: 1 });
      expect(hook.requests).toHaveLength(1);
    } finally {
      await hook.close();
    }
  });

  it('a mix saved from the page says where it went: the folder of the job it joined', async () => {
    // ok1 was published by the first test; its stems are in the stem cache.
    const hook = await startReceiver();
    try {
      await writeFile(
        join(root, 'config', 'notify.yaml'),
        stringify({ targets: [{ type: 'webhook', name: 'mixes', url: hook.url }] }),
      );
      await publishV1(
        root,
        'other',
        {
          job_id: 'remix_ok1_karaoke',
          source_type: 'remix',
          artist: 'A',
          title: 'Good',
          remix: { of: 'ok1', variant: 'karaoke', stems: { bass: 1, other: 1, vocals: 0.2 } },
        },
        {},
      );
      const result = await runOnce({ root, logger, concurrency: 1 });
      expect(result.succeeded).toBe(1);
      const sent = hook.requests.map((r) => JSON.parse(r.body) as { type: string; message: string });
      expect(sent.map((e) => e.type)).toEqual(['job.succeeded']);
      expect(sent[0]?.message).toContain('outputs/ok1/');
      expect(sent[0]?.message).not.toContain('outputs/remix_ok1_karaoke');
    } finally {
      await hook.close();
    }
  });
});
