import { errorMessage, isImkError } from '@imk/errors';
import { assertMdxModelUsable, resolveMdxModelParams, type MdxModelParams } from './model-params.ts';
import type { UnusedProvider } from './model-session.ts';
import { assertInsideModelsFolder } from './models-folder.ts';
import { acquireMdxSession } from './session-pool.ts';

/** What `imk models` and `imk doctor` say about one model file. */
export interface MdxModelReport {
  file: string;
  hash: string | null;
  params: MdxModelParams | null;
  /** The input shape ONNX Runtime reports, when the model was opened. */
  inputShape: (number | string)[] | null;
  /** The execution providers it opened with, the one doing the work first; null when not opened. */
  executionProviders: string[] | null;
  /** Providers asked for that could not be used (the next in the list was), each with the reason. */
  unusedProviders: UnusedProvider[];
  /** What is wrong, in words (and its error code); null when nothing is. */
  problem: { code: string; message: string } | null;
}

/**
 * Reports on one model: its UVR hash and parameters, whether the mdx engine can run a model with them (its
 * primary stem, numbers that fit together) and, with `open`, whether ONNX Runtime opens it (with
 * `executionProviders`, default the CPU) and its input shape agrees with dim_f / dim_t, and with `tryRun`
 * whether it runs on one chunk.
 */
export async function inspectMdxModel(
  file: string,
  options: {
    open?: boolean;
    tryRun?: boolean;
    executionProviders?: string[];
    threads?: number;
    /** The models folder `file` is in: a model there must not leave it (as a job naming it would find). */
    modelsFolder?: string;
  } = {},
): Promise<MdxModelReport> {
  const report: MdxModelReport = {
    file,
    hash: null,
    params: null,
    inputShape: null,
    executionProviders: null,
    unusedProviders: [],
    problem: null,
  };
  try {
    if (options.modelsFolder !== undefined) await assertInsideModelsFolder(options.modelsFolder, file);
    report.params = await resolveMdxModelParams(file);
    report.hash = report.params.hash;
    // What the engine would refuse (a Reverb model, numbers that do not fit) is a problem here too.
    assertMdxModelUsable(file, report.params);
    if (options.open === true) {
      // With the providers the engine is configured with: a model that opens on the CPU may not with cuda.
      const handle = await acquireMdxSession(file, report.params, {
        threads: options.threads ?? 1,
        executionProviders: options.executionProviders ?? ['cpu'],
      });
      try {
        const { session } = handle;
        report.inputShape = [...session.inputShape];
        report.executionProviders = [...session.executionProviders];
        report.unusedProviders = [...session.unusedProviders];
        // One chunk of silence through the model: what fails on it fails on every song (a .json whose
        // numbers a model with symbolic dimensions does not take, an output of another shape).
        if (options.tryRun === true) {
          const p = report.params;
          await session.run(new Float32Array(4 * p.dimF * p.dimT), 1);
        }
      } finally {
        // Closed unless a worker in this process has it open too.
        await handle.release();
      }
    }
  } catch (error) {
    report.problem = { code: isImkError(error) ? error.code : 'MODEL_INVALID', message: errorMessage(error) };
    const details = isImkError(error) ? (error.details as { hash?: unknown }) : {};
    if (report.hash === null && typeof details.hash === 'string') report.hash = details.hash;
  }
  return report;
}
