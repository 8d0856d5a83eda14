import type { Command } from 'commander';
import { registerJob } from './job.ts';
import { registerJobs } from './jobs.ts';
import { registerLedger } from './ledger.ts';
import { registerRetry } from './retry.ts';
import { registerCancel } from './cancel.ts';
import { registerRun } from './run.ts';
import { registerEval } from './eval.ts';
import { registerSchema } from './schema.ts';
import { registerEnqueue } from './enqueue.ts';
import { registerQueue } from './queue.ts';
import { registerSeparate } from './separate.ts';
import { registerUp } from './up.ts';
import { registerCleanup } from './cleanup.ts';
import { registerHealthcheck } from './healthcheck.ts';
import { registerSync } from './sync.ts';
import { registerFetch } from './fetch.ts';
import { registerDoctor } from './doctor.ts';
import { registerModels } from './models.ts';
import { registerMigrate } from './migrate.ts';

/** Each verb lives in its own file and registers itself here. */
export const COMMANDS: ((program: Command) => void)[] = [
  registerSchema,
  registerEnqueue,
  registerQueue,
  registerSeparate,
  registerEval,
  registerRun,
  registerJobs,
  registerJob,
  registerRetry,
  registerCancel,
  registerLedger,
  registerUp,
  registerCleanup,
  registerHealthcheck,
  registerSync,
  registerFetch,
  registerDoctor,
  registerModels,
  registerMigrate,
];
