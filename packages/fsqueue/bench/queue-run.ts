// One run of the queue benchmark (see queue-bench.ts): a producer publishes into `publishDir`, consumer
// processes claim from `consumerDirs[i]` (the same queue folder, seen through each consumer's own path:
// the local folder, or one sshfs mount per consumer).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { publishBundle } from '../src/index.ts';

const PUBLISH_CONCURRENCY = 8;
const CONSUMER = fileURLToPath(new URL('./bench-consumer.ts', import.meta.url));

export interface QueueBenchOptions {
  /** The queue folder the producer publishes into. */
  publishDir: string;
  /** The same queue folder as each consumer process sees it (one entry per consumer). */
  consumerDirs: string[];
  jobs: number;
  latencyJobs: number;
  /** Jobs/s published during the latency phase. */
  latencyRate: number;
}

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function publish(queueDir: string, id: string): Promise<number> {
  await publishBundle({
    queueDir,
    job: { job_id: id, source_type: 'local', audio_path: 'audio.m4a', title: id },
    files: [{ name: 'audio.m4a', data: `not really audio: ${id}` }],
  });
  return now();
}

const ms = (value: number): number => Number(value.toFixed(1));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function runQueueBench(options: QueueBenchOptions): Promise<Record<string, unknown>> {
  const { jobs: JOBS, latencyJobs: LATENCY_JOBS, latencyRate: LATENCY_RATE } = options;
  const CONSUMERS = options.consumerDirs.length;
  const queueDir = options.publishDir;
  const root = await mkdtemp(join(tmpdir(), 'imk-bench-queue-'));
  const control = (name: string): string => join(root, name);
  const consumers = Array.from({ length: CONSUMERS }, (_, i) => {
    const id = `bench${i}`;
    const args = {
      queueDir: options.consumerDirs[i]!,
      consumerId: id,
      log: control(`${id}.log`),
      readyFile: control(`${id}.ready`),
      startFile: control('start'),
      stopFile: control('stop'),
    };
    return {
      args,
      child: execa('node', ['--import', 'tsx', CONSUMER, JSON.stringify(args)], { reject: false }),
    };
  });

  try {
    // Phase 1: publish a backlog while the consumers wait (fsync on: files, folder, rename, queue folder).
    const ids = Array.from({ length: JOBS }, (_, i) => `bench_${String(i).padStart(6, '0')}`);
    const publishStart = now();
    let next = 0;
    await Promise.all(
      Array.from({ length: PUBLISH_CONCURRENCY }, async () => {
        while (next < ids.length) await publish(queueDir, ids[next++]!);
      }),
    );
    const publishSeconds = (now() - publishStart) / 1000;
    while (!consumers.every(({ args }) => existsSync(args.readyFile))) await sleep(20);

    // Phase 2: the consumers drain the backlog.
    const drainStart = now();
    await writeFile(control('start'), '');
    const readLogs = async (): Promise<[string, number, number][]> => {
      const rows: [string, number, number][] = [];
      for (const { args } of consumers) {
        const text = await readFile(args.log, 'utf8').catch(() => '');
        for (const line of text.split('\n').filter(Boolean)) {
          const [id, claimed, completed] = line.split(' ');
          rows.push([id!, Number(claimed), Number(completed)]);
        }
      }
      return rows;
    };
    let drained: [string, number, number][] = [];
    for (;;) {
      await sleep(200);
      drained = await readLogs();
      if (drained.length >= JOBS || consumers.some(({ child }) => child.exitCode !== null)) break;
    }
    const drainEnd = Math.max(...drained.map(([, , completed]) => completed));
    // User + system CPU the consumer processes spent draining (each writes it when it first finds nothing).
    let drainCpuMs = 0;
    for (const { args } of consumers) {
      const deadlineCpu = now() + 10_000;
      while (!existsSync(`${args.log}.cpu`) && now() < deadlineCpu) await sleep(20);
      const [user, system] = (await readFile(`${args.log}.cpu`, 'utf8').catch(() => '0 0'))
        .split(' ')
        .map(Number);
      drainCpuMs += (user ?? 0) + (system ?? 0);
    }
    const drainSeconds = (drainEnd - drainStart) / 1000;

    // Phase 3: publish-to-claim latency with idle consumers, publishing at a steady rate. First let the
    // disk settle: the drain left thousands of renames and files for the journal and writeback, and a
    // commit of that backlog a few seconds later stalls every fsync for ~0.3 s (measured), which would
    // be a property of the previous phase, not of publish-to-claim latency.
    await execa('sync');
    await sleep(1000);
    const publishedAt = new Map<string, number>();
    const latencyStart = now();
    for (let i = 0; i < LATENCY_JOBS; i++) {
      const due = latencyStart + (i * 1000) / LATENCY_RATE;
      const wait = due - now();
      if (wait > 0) await sleep(wait);
      const id = `lat_${String(i).padStart(6, '0')}`;
      publishedAt.set(id, await publish(queueDir, id));
    }
    const deadline = now() + 30_000;
    let all: [string, number, number][] = [];
    while (now() < deadline) {
      all = await readLogs();
      if (all.length >= JOBS + LATENCY_JOBS) break;
      await sleep(100);
    }
    await writeFile(control('stop'), '');
    const results = await Promise.all(consumers.map(({ child }) => child));
    all = await readLogs();

    const counts = new Map<string, number>();
    for (const [id] of all) counts.set(id, (counts.get(id) ?? 0) + 1);
    const expected = [...ids, ...publishedAt.keys()];
    const latencies = [...publishedAt].flatMap(([id, at]) => {
      const row = all.find(([rowId]) => rowId === id);
      return row ? [Math.max(0, row[1] - at)] : [];
    });
    latencies.sort((a, b) => a - b);
    const failures = results
      .filter((result) => result.exitCode !== 0)
      .map((result) => result.stderr.slice(-500));
    const report = {
      jobs: JOBS,
      consumers: CONSUMERS,
      fsync: true,
      publish_jobs_per_sec: Math.round(JOBS / publishSeconds),
      claim_complete_jobs_per_sec: Math.round(drained.length / drainSeconds),
      // CPU time of the consumer processes per job (claim, validate incl. sha256, complete): the bound on an
      // otherwise idle machine is roughly cores * 1000 / this figure.
      consumer_cpu_ms_per_job: Number((drainCpuMs / Math.max(1, drained.length)).toFixed(2)),
      latency_ms: {
        p50: ms(percentile(latencies, 50)),
        p95: ms(percentile(latencies, 95)),
        p99: ms(percentile(latencies, 99)),
        max: ms(latencies.at(-1) ?? Number.NaN),
      },
      latency_jobs: LATENCY_JOBS,
      latency_publish_rate_per_sec: LATENCY_RATE,
      duplicates: [...counts.values()].filter((count) => count > 1).length,
      lost: expected.filter((id) => !counts.has(id)).length,
      cpus: cpus().length,
      loadavg_1m: Number(loadavg()[0]!.toFixed(2)),
      ...(failures.length > 0 && { consumer_failures: failures }),
    };
    return report;
  } finally {
    if (!existsSync(control('stop'))) await writeFile(control('stop'), '').catch(() => undefined);
    for (const { child } of consumers) if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all(consumers.map(({ child }) => child));
    await rm(root, { recursive: true, force: true });
  }
}
