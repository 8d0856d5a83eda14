// npm run bench:queue: publish and claim+complete throughput of the filesystem queue with fsync on, and
// publish-to-claim latency, with real consumer processes. Prints one JSON object.
//   IMK_BENCH_JOBS (default 5000), IMK_BENCH_CONSUMERS (4), IMK_BENCH_LATENCY_JOBS (500),
//   IMK_BENCH_LATENCY_RATE (jobs/s published during the latency phase, default 100)
//
// npm run bench:queue -- --over-sshfs: the same on a local folder, then on a folder shared over sshfs
// (a real sshd on loopback; one sshfs mount per consumer and one for the producer, as separate hosts
// would have, with the mount options of docs/operations.md), and prints both: { local, over_sshfs }.
//   IMK_BENCH_SSHFS_JOBS (default 500), IMK_BENCH_SSHFS_LATENCY_JOBS (100), IMK_BENCH_SSHFS_LATENCY_RATE (20);
//   the latency phase of both runs then uses the sshfs count and rate, so that the two compare.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountSshfs, SSHFS_QUEUE_OPTIONS, startSshd, type SshfsMount } from '@imk/sync/testing';
import { runQueueBench } from './queue-run.ts';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const CONSUMERS = env('IMK_BENCH_CONSUMERS', 4);

async function local(jobs: number, latencyJobs: number, latencyRate: number) {
  const dir = await mkdtemp(join(tmpdir(), 'imk-bench-local-'));
  try {
    const queueDir = join(dir, 'queues', 'other');
    return await runQueueBench({
      publishDir: queueDir,
      consumerDirs: Array.from({ length: CONSUMERS }, () => queueDir),
      jobs,
      latencyJobs,
      latencyRate,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function overSshfs(jobs: number, latencyJobs: number, latencyRate: number) {
  const server = await startSshd();
  const mounts: SshfsMount[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'imk-bench-sshfs-'));
  try {
    for (let i = 0; i <= CONSUMERS; i++)
      mounts.push(await mountSshfs(server, server.dataDir, join(dir, `host${i}`)));
    const [producer, ...consumers] = mounts;
    const report = await runQueueBench({
      publishDir: join(producer!.path, 'queues', 'other'),
      consumerDirs: consumers.map((mount) => join(mount.path, 'queues', 'other')),
      jobs,
      latencyJobs,
      latencyRate,
    });
    return { ...report, sshfs_options: SSHFS_QUEUE_OPTIONS.join(',') };
  } finally {
    for (const mount of mounts) await mount.unmount();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const overSshfsMode = process.argv.includes('--over-sshfs');
const latencyJobs = overSshfsMode
  ? env('IMK_BENCH_SSHFS_LATENCY_JOBS', 100)
  : env('IMK_BENCH_LATENCY_JOBS', 500);
// Beside sshfs, the local run publishes at the same steady rate, so that the latencies compare (one
// publish over sshfs takes tens of ms: 100 jobs/s is out of reach there).
const latencyRate = overSshfsMode
  ? env('IMK_BENCH_SSHFS_LATENCY_RATE', 20)
  : env('IMK_BENCH_LATENCY_RATE', 100);
const localReport = await local(env('IMK_BENCH_JOBS', 5000), latencyJobs, latencyRate);
if (!overSshfsMode) {
  process.stdout.write(`${JSON.stringify(localReport, null, 2)}\n`);
} else {
  const sshfsReport = await overSshfs(env('IMK_BENCH_SSHFS_JOBS', 500), latencyJobs, latencyRate);
  const report = {
    local: localReport,
    over_sshfs: sshfsReport,
    cpus: cpus().length,
    loadavg_1m_at_end: Number(loadavg()[0]!.toFixed(2)),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}
