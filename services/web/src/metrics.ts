import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { JOB_STATES } from '@imk/fsqueue';
import { LEDGER_STATES } from '@imk/ledger';
import type { DiskGuardStatus } from '@imk/ops';
import type { NamedQueueCounts } from '@imk/fsqueue';

export interface StageTiming {
  stage: string;
  outcome: string;
  duration_sec: number;
}

export interface SyncCount {
  destination: string;
  status: string;
  count: number;
}

/** Where the numbers come from; each is read at scrape time. */
export interface MetricsSources {
  queues(): Promise<NamedQueueCounts[]>;
  /** Jobs per ledger state. */
  jobsByState(): Record<string, number>;
  /** Stage timings recorded since the previous call (each observed once into the histogram). */
  newStageTimings(): StageTiming[];
  /** Sync receipts per destination and status (delivered, pending, failed). */
  syncCounts(): Promise<SyncCount[]>;
  diskGuard(): DiskGuardStatus | undefined;
}

/** A Prometheus registry for the whole system (its own, never prom-client's global one). */
export function createMetrics(sources: MetricsSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'imk_' });

  new Gauge({
    name: 'imk_queue_jobs',
    help: `Job folders per queue and folder state (${JOB_STATES.join(', ')}).`,
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const q of await sources.queues())
        for (const state of JOB_STATES) this.set({ queue: q.queue, state }, q[state]);
    },
  });
  new Gauge({
    name: 'imk_queue_oldest_ready_age_seconds',
    help: 'Age of the oldest job waiting in each queue (0 when none waits).',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const q of await sources.queues()) this.set({ queue: q.queue }, q.oldestReadyAgeSec ?? 0);
    },
  });
  new Gauge({
    name: 'imk_jobs',
    help: `Jobs in the ledger by state (${LEDGER_STATES.join(', ')}).`,
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [state, count] of Object.entries(sources.jobsByState())) this.set({ state }, count);
    },
  });
  const stages = new Histogram({
    name: 'imk_stage_duration_seconds',
    help: 'Duration of each processing stage (decode, separate, mix, encode, manifest, …) by outcome.',
    labelNames: ['stage', 'outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
    registers: [],
  });
  // Histograms cannot take a collect-time value: observe the new ledger rows at each scrape. Registered
  // before the histogram so that the rows are observed before the histogram is serialised.
  new Gauge({
    name: 'imk_stage_timings_observed',
    help: 'Stage timings read from the ledger so far (internal bookkeeping of imk_stage_duration_seconds).',
    registers: [registry],
    collect() {
      for (const t of sources.newStageTimings()) {
        stages.observe({ stage: t.stage, outcome: t.outcome }, t.duration_sec);
        this.inc();
      }
    },
  });
  registry.registerMetric(stages);
  new Gauge({
    name: 'imk_sync_artifacts',
    help: 'NAS sync: artifacts per destination and status (delivered, pending, failed, unrouted, replaced, skipped, released).',
    labelNames: ['destination', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await sources.syncCounts())
        this.set({ destination: c.destination, status: c.status }, c.count);
    },
  });
  new Gauge({
    name: 'imk_disk_free_bytes',
    help: 'Free bytes on the filesystem of each watched folder (outputs, queues, state).',
    labelNames: ['path'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of sources.diskGuard()?.spaces ?? []) this.set({ path: s.path }, s.freeBytes);
    },
  });
  new Gauge({
    name: 'imk_disk_guard_claiming',
    help: '1 while workers may claim jobs, 0 while the disk guard paused claiming for lack of space.',
    registers: [registry],
    collect() {
      this.set(sources.diskGuard()?.claiming === false ? 0 : 1);
    },
  });
  return registry;
}
