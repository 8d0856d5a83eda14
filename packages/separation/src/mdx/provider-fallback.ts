import { errorMessage, isImkError } from '@imk/errors';
import type { MdxModelRun } from './demixer.ts';
import type { MdxSession } from './model-session.ts';
import type { MdxSessionHandle } from './session-pool.ts';

export interface ProviderFallbackOptions {
  /** The session the job starts on (the first provider of the list that opened). */
  first: MdxSessionHandle;
  /** Opens the model with these providers: the ones after the provider that failed. */
  open: (executionProviders: string[]) => Promise<MdxSessionHandle>;
  /** Called once per move to another provider, with the sentence to say (log and manifest). */
  onFallback: (
    message: string,
    facts: { from: string; to: string; reason: string; providers: string[] },
  ) => void;
  /** Appended to the sentence said on a move (what later jobs will do), given the providers moved from and to. */
  afterFallback?: (from: string, to: string) => string;
  signal?: AbortSignal;
}

export interface ProviderFallback {
  run: MdxModelRun;
  /** The session running the job now. */
  readonly session: MdxSession;
  /** Lets go of every session this job used. */
  release(): Promise<void>;
}

/**
 * The model's runs for one job, moving to the next provider of the list when one fails mid-run: a GPU out of
 * memory on a chunk (or any failure of ORT's run) is tried again on the providers after it (`[cuda, cpu]`:
 * the CPU), and the rest of the job stays there. If the last provider fails as well, the failure was the
 * model's (or the machine's), and its error is the job's, as it was without a fallback. With nothing after
 * the provider that failed, its error is the job's.
 */
export function createProviderFallback(options: ProviderFallbackOptions): ProviderFallback {
  const { open, onFallback, signal } = options;
  const handles = [options.first];
  let current = options.first;
  let runs = 0;
  // The providers the session running now was asked for: what later jobs should ask for.
  let asked: string[] | undefined;
  return {
    get session() {
      return current.session;
    },
    async run(input, batch) {
      let failed: { from: string; error: unknown } | undefined;
      for (;;) {
        try {
          const output = await current.session.run(input, batch, signal);
          // Said once the chunk has run on the next provider: a move that did not help is not news.
          if (failed !== undefined) {
            const to = current.session.executionProviders[0] ?? '?';
            const reason = errorMessage(failed.error);
            const after = options.afterFallback?.(failed.from, to) ?? '';
            onFallback(
              `mdx: the ${failed.from} execution provider failed after ${runs} model runs of this job (${reason}); the rest of the job ran on ${to}${after}`,
              { from: failed.from, to, reason, providers: asked ?? [...current.session.executionProviders] },
            );
          }
          runs++;
          return output;
        } catch (error) {
          const [from = '?', ...rest] = current.session.executionProviders;
          // Only ORT's run failing is the provider's to hand on; a model returning the wrong shape is not.
          const runFailed = isImkError(error, 'ENGINE_FAILED') || isImkError(error, 'MODEL_INVALID');
          if (!runFailed || rest.length === 0 || signal?.aborted === true) throw error;
          let next: MdxSessionHandle;
          try {
            next = await open(rest);
          } catch {
            throw error;
          }
          handles.push(next);
          current = next;
          asked = rest;
          failed ??= { from, error };
        }
      }
    },
    async release() {
      await Promise.all(handles.map((h) => h.release()));
    },
  };
}
