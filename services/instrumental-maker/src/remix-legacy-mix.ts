import { ARTIFACT_DIRS, REMIX_SOURCE_TYPE, type Job, type Manifest } from '@imk/protocol';
import { buildManifest } from './manifest.ts';
import { LEGACY_ENGINE } from './remix-legacy.ts';
import { manifestOptionsToResolved } from './remix-options.ts';
import { writeMix, type RemixState } from './remix-state.ts';
import type { ReportProgress } from './stage-runner.ts';

/**
 * A mix of an earlier-version output (its stems read from its folder): written as a job of its own,
 * outputs/<remix id>/, encoded with this worker's output settings, so that the earlier version's folder and
 * its manifest stay exactly as they were.
 */
export async function encodeLegacyMix(s: RemixState, progress: ReportProgress): Promise<undefined> {
  const m = s.legacy!.manifest;
  const job: Job = {
    job_id: s.claim.jobId,
    source_type: REMIX_SOURCE_TYPE,
    ...(m.artist !== undefined && { artist: m.artist }),
    ...(m.album !== undefined && { album: m.album }),
    ...(m.title !== undefined && { title: m.title }),
    audio_path: 'input',
  };
  const options = manifestOptionsToResolved(s.ctx.config, { engine: LEGACY_ENGINE }, s.name, s.recipe);
  const made = await writeMix(s, job, options, progress);
  Object.assign(s, { job, made, kept: [] });
  return undefined;
}

/** The manifest of a mix of an earlier-version output (a job of its own). */
export function legacyMixManifest(s: RemixState): Manifest {
  return buildManifest({
    job: s.job!,
    artifacts: [s.made!],
    input: { sha256: s.legacyInput!.sha256, duration_sec: s.legacyInput!.durationSec, stems_of: s.target },
    engine: LEGACY_ENGINE,
    options: {},
    timings: {},
    warnings: [
      `mixed from the stems the earlier instrumental-maker kept in outputs/${s.target}/${ARTIFACT_DIRS.stems}/ (job ${s.target}, whose folder is left as it was)`,
    ],
    stemsGenerated: true,
    outputKey: '',
  });
}
