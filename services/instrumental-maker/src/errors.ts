import { ImkError, POLICY, defineErrors, type ErrorPolicy } from '@imk/errors';
// The codes a job can fail with from the packages the worker runs (unreadable media, a missing model): known
// to whatever loads this service's definition (`imk retry`, the dashboard's Retry; retryAdviceOf).
import '@imk/media/errors';
import '@imk/separation/errors';

/** What the worker's catalogue says of a code, beyond retry and HTTP status. */
export interface WorkerErrorPolicy extends ErrorPolicy {
  /**
   * Something outside the job is busy (another program writing its outputs folder): the job waits for it,
   * given back to its queue without spending an attempt and looked at again every retry.waitCheckMs, and
   * fails only after retry.maxWaitMs. Its value says what it waits for, in the job's history ("waiting for
   * <this> since …"); `<job_id>` in it is the job's id.
   */
  readonly waits?: string;
}

const IM_CATALOGUE = {
  ABORTED: POLICY.transient,
  CLAIM_LOST: POLICY.transient,
  CONFIG_INVALID: POLICY.unavailable,
  // The bundle's cover could not be opened when the job started, or changed since: the outputs have none.
  COVER_UNREADABLE: POLICY.unprocessable,
  ENGINE_MODULE_INVALID: POLICY.unavailable,
  ENGINE_UNAVAILABLE: POLICY.unavailable,
  // The song as opened to be separated is not the file job.json's files[] declares (replaced or damaged
  // after the claim's check): never made from; the bundle is kept in failed/.
  INPUT_CHANGED: POLICY.unprocessable,
  // Over maxDurationSec: a person who means it raises the setting, and a retry of the same job then runs.
  INPUT_TOO_LONG: {
    ...POLICY.unprocessable,
    personFix:
      'raise maxDurationSec in config/instrumental-maker.yaml if you mean to process a song this long',
  },
  INVALID_INPUT: POLICY.unprocessable,
  // An earlier job's file is not what its manifest says (a link out, a FIFO, other content): never linked.
  LINKED_ARTIFACT_INVALID: POLICY.unprocessable,
  MANIFEST_INVALID: POLICY.transient,
  // outputs/<job_id>/ without a valid manifest, changed lately: the earlier version is writing it; later.
  // The job waits for it (retry.maxWaitMs) rather than spending its attempts in a few seconds.
  OUTPUTS_BEING_WRITTEN: {
    ...POLICY.transient,
    waits: 'another program (the earlier instrumental-maker?) to finish writing outputs/<job_id>/',
  },
  OPTIONS_INVALID: POLICY.badRequest,
  // outputs/ is on a file system (an SMB share) that refuses the job id as a folder name: the same again.
  OUTPUT_NAME_REFUSED: POLICY.unprocessable,
  SIDECAR_INVALID: POLICY.unprocessable,
  CANCELLED: POLICY.conflict,
  REMIX_SOURCE_MISSING: POLICY.unprocessable,
  // The earlier Python version's outputs: listed like ours, but no stem cache of theirs to mix from.
  REMIX_SOURCE_LEGACY: POLICY.unprocessable,
  // A mix's name would replace a file the job made (its instrumental, another variant): never done.
  REMIX_NAME_TAKEN: POLICY.unprocessable,
  // The stems (and the song to separate again) were cleaned up: gone, as the dashboard's mixer answers too.
  STEMS_NOT_CACHED: POLICY.gone,
  // A programming error (the stage steps and STAGES disagree): retrying runs the same code again.
  STAGES_INVALID: POLICY.internal,
  // A video job's video (beside its song) could not be opened when the job started (a link, a FIFO, gone):
  // the video is what the job makes, so it fails, the bundle kept; read by name later it could be another.
  VIDEO_UNREADABLE: {
    ...POLICY.unprocessable,
    personFix: 'put the video back as a regular file in the failed bundle (imk job <id> shows where)',
  },
} satisfies Record<string, WorkerErrorPolicy>;

/** Every code @imk/instrumental-maker-service throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const IM_ERRORS = defineErrors<keyof typeof IM_CATALOGUE, WorkerErrorPolicy>(
  '@imk/instrumental-maker-service',
  IM_CATALOGUE,
);

/** What a job given back for `code` waits for, for its history (WorkerErrorPolicy.waits); undefined if it does not wait. */
export function waitsFor(code: string, jobId = '<job_id>'): string | undefined {
  if (!Object.hasOwn(IM_ERRORS, code)) return undefined;
  const waits: string | undefined = IM_ERRORS[code as keyof typeof IM_ERRORS].waits;
  return waits?.replaceAll('<job_id>', jobId);
}

/** The code of `error` (or of an error it wraps) when its policy says the job waits (see WorkerErrorPolicy.waits). */
export function waitingCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    if (current instanceof ImkError && Object.hasOwn(IM_ERRORS, current.code))
      if (waitsFor(current.code) !== undefined) return current.code;
    current = current.cause;
  }
  return undefined;
}
