import { notificationsHealthCheck } from '@imk/notify';
import { defineService } from '@imk/service';
import { InstrumentalMakerConfigSchema, SERVICE_NAME } from './config.ts';
import { doctorChecks, toolsHealthChecks } from './doctor-checks.ts';
import type { StartInstrumentalMakerOptions } from './service.ts';
// The service's error codes and their policy, known to whatever loads the definition (`imk retry`, the
// dashboard's Retry: retryAdviceOf), not only once its code runs.
import './errors.ts';

/** The worker's code, loaded only when it runs: `imk doctor`, `imk cleanup` and the config reference need only the schema and checks. */
const worker = () => import('./service.ts');

export const instrumentalMakerService = defineService({
  name: SERVICE_NAME,
  description: 'the worker: separates, mixes variants, encodes, writes outputs/<job_id>/ and manifest.json',
  configSchema: InstrumentalMakerConfigSchema,
  load: worker,
  start: async (options: StartInstrumentalMakerOptions) => (await worker()).startInstrumentalMaker(options),
  async runOnce(options) {
    const { outcomes: _outcomes, ...summary } = await (await worker()).runOnce(options);
    return { ok: summary.ok, summary };
  },
  doctorChecks,
  // Without ffmpeg and ffprobe every job fails: the running worker is degraded (the ledger and the engine
  // are said elsewhere: /readyz's ledger check, each job's manifest warning for the builtin fallback).
  healthChecks: [...toolsHealthChecks, notificationsHealthCheck],
});
