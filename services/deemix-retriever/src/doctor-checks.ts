import type { CheckResult, DoctorCheck } from '@imk/doctor';
import { errorMessage } from '@imk/errors';
import { KNOWN_TOOLS } from '@imk/tools';
import { findArl } from './arl.ts';
import { loadDeemixSettings } from './config.ts';
import { resolveDeemix } from './run-deemix.ts';

// Deezer is optional: a missing deemix or ARL is reported, but does not fail doctor.
export const deemixCheck: DoctorCheck = {
  id: 'deemix',
  title: 'deemix',
  group: 'retrievers',
  required: false,
  async run({ paths }): Promise<CheckResult> {
    const settings = await loadDeemixSettings(paths.root);
    try {
      return { status: 'ok', summary: `deemix at ${await resolveDeemix(settings.deemixPath)}` };
    } catch (error) {
      return {
        status: 'fail',
        summary: `${errorMessage(error).split(';')[0] ?? 'deemix not found'} (needed only for Deezer links)`,
        fix: `${KNOWN_TOOLS.deemix!.installHint}, or set deemixPath / IMK_DEEMIX`,
      };
    }
  },
};

export const deezerArlCheck: DoctorCheck = {
  id: 'deezer-arl',
  title: 'Deezer ARL',
  group: 'retrievers',
  required: false,
  async run({ paths, env }): Promise<CheckResult> {
    const settings = await loadDeemixSettings(paths.root);
    const fix =
      'put the "arl" cookie of a logged-in deezer.com session in IMK_DEEMIX_ARL, or in a file (chmod 600) named by arlFile in config/deemix-retriever.yaml';
    try {
      const found = await findArl(settings.arlFile, env);
      if (!found) return { status: 'fail', summary: 'no ARL set (needed only for Deezer links)', fix };
      return { status: 'ok', summary: `ARL set (from ${found.from}; value not shown)` };
    } catch (error) {
      return { status: 'fail', summary: errorMessage(error), fix };
    }
  },
};

/** The Deezer retriever's checks, picked up by `imk doctor`. */
export const doctorChecks: DoctorCheck[] = [deemixCheck, deezerArlCheck];
