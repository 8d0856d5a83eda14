import { defineService } from '@imk/service';
import { InstrumentalMakerConfigSchema, SERVICE_NAME } from './config.ts';
import { doctorChecks } from './doctor-checks.ts';
import { runOnce, startInstrumentalMaker } from './service.ts';

export const instrumentalMakerService = defineService({
  name: SERVICE_NAME,
  description: 'the worker: separates, mixes variants, encodes, writes outputs/<job_id>/ and manifest.json',
  configSchema: InstrumentalMakerConfigSchema,
  start: startInstrumentalMaker,
  async runOnce(options) {
    const { outcomes: _outcomes, ...summary } = await runOnce(options);
    return { ok: summary.ok, summary };
  },
  doctorChecks,
  // As before: doctor checks the worker, but they do not mark the running worker degraded.
  healthChecks: [],
});
