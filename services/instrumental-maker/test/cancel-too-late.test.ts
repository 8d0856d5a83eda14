import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '@imk/config';
import { pathExists } from '@imk/fs-safe';
import { cancelJob, createQueue, findJob, type Claim, type Queue } from '@imk/fsqueue';
import { openLedger, type Ledger } from '@imk/ledger';
import { capturingLogger } from '@imk/log/testing';
import { InstrumentalMakerConfigSchema } from '../src/config.ts';
import type { WorkerContext } from '../src/context.ts';
import { createEngineProvider, type EngineProvider } from '../src/engines.ts';
import { processClaim } from '../src/process-job.ts';
import { makeRoot, makeSong, publishV1, removeRoot } from './helpers.ts';

// A cancel asked for after the job's outputs were renamed into place cannot stop it: the job succeeds, and
// its ledger line (what the dashboard and `imk job` show) and the log say the cancel came too late and where
// the outputs are kept. Nothing tested it: the window is between the publish and the worker's last look. The
// worker is handed its claim (processClaim takes any Claim), and the claim the test hands it asks for the
// cancel, as `imk cancel` does (a request file in the claim folder), at the worker's first confirm() after
// the outputs are in place: every time, at that point, with no timing to win.
let root: string | undefined;
let queue: Queue | undefined;
let ledger: Ledger | undefined;
let engines: EngineProvider | undefined;
afterEach(async () => {
  await queue?.close();
  ledger?.close();
  await engines?.close();
  await removeRoot(root);
});

describe('a cancel asked for after the outputs were published', () => {
  it('comes too late: the job succeeds, its ledger line and the log say so, the outputs are kept', async () => {
    root = await makeRoot({ variants: ['instrumental'], output: { format: 'wav' } });
    await makeSong(join(root, 'song.m4a'), 2, 1);
    const job = { job_id: 'late', source_type: 'local', artist: 'A', title: 'Late', audio_path: 'song.m4a' };
    await publishV1(root, 'other', job, { 'song.m4a': join(root, 'song.m4a') });
    const paths = resolvePaths(root);
    const queueDir = join(paths.queues, 'other');
    const outputs = join(paths.outputs, 'late');
    queue = createQueue({ queueDir, consumerId: 'test-worker', watch: false, maintenance: false });
    const claim = await queue.claim();
    expect(claim?.jobId).toBe('late');
    let asked = false;
    // The real claim, but its confirm() first asks for the cancel once the outputs are published.
    const late = new Proxy(claim!, {
      get(target, key) {
        const value = Reflect.get(target, key, target) as unknown;
        if (key === 'confirm')
          return async () => {
            if (!asked && (await pathExists(join(outputs, 'manifest.json')))) {
              asked = true;
              await cancelJob(queueDir, 'late', { reason: 'changed my mind', by: 'imk cancel' });
            }
            return target.confirm();
          };
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    }) satisfies Claim;
    const config = InstrumentalMakerConfigSchema.parse({
      variants: ['instrumental'],
      output: { format: 'wav' },
    });
    const { logger, lines } = capturingLogger<{ msg?: string; level: number; dir?: string }>('worker-test');
    ledger = openLedger({ root });
    engines = createEngineProvider(root, config);
    const ctx: WorkerContext = {
      paths,
      config,
      ledger,
      cache: undefined,
      engines,
      consumerId: 'test-worker',
      workRoot: join(paths.tmp, 'instrumental-maker'),
      logger,
    };

    const outcome = await processClaim(ctx, late, new AbortController().signal);
    expect(asked).toBe(true);
    expect(outcome).toMatchObject({ jobId: 'late', status: 'succeeded', outputDir: outputs });
    expect(await pathExists(join(outputs, 'manifest.json'))).toBe(true);
    expect(await findJob(queueDir, 'late')).toMatchObject({ state: 'succeeded' });
    const detail = ledger.getJob('late')!;
    expect(detail.job.state).toBe('succeeded');
    expect(detail.events.at(-1)?.message).toBe(
      `outputs published in ${outputs}; a cancel asked for after its outputs were published came too late: they are kept in ${outputs}`,
    );
    expect(lines().filter((line) => line.level === 40 && line.msg?.includes('too late'))).toMatchObject([
      { msg: 'cancel asked for after the outputs were published; too late, the job succeeds', dir: outputs },
    ]);
  }, 120_000);
});
