import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '@imk/errors';
import type { Logger } from '@imk/log';
import { recordResult } from '../results.ts';
import { refreshMediaServer } from './refresh.ts';
import type { MediaServer } from './schema.ts';

export interface RunRefreshesOptions {
  servers: Readonly<Record<string, MediaServer>>;
  /** Server name → the paths delivered for it in this pass. */
  delivered: ReadonlyMap<string, readonly string[]>;
  /** ImkPaths.state: each try is recorded beside the notifications (the dashboard shows both). */
  stateDir: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** @default 3 */
  attempts?: number;
  /** Wait before the second try, doubled after each. @default 2000 */
  firstDelayMs?: number;
  /** @default 15000 */
  timeoutMs?: number;
}

/**
 * Asks each media server to pick up what a pass delivered, retrying with backoff. A server that stays
 * down is logged and recorded; it never fails the pass (the next delivery asks again).
 */
export async function runRefreshes(options: RunRefreshesOptions): Promise<void> {
  const attempts = options.attempts ?? 3;
  const logger = options.logger.child({ component: 'media-refresh' });
  await Promise.all(
    [...options.delivered].map(async ([name, paths]) => {
      const server = options.servers[name];
      if (!server || paths.length === 0) return;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const at = () => new Date().toISOString();
        const base = {
          event: 'refresh',
          target: name,
          attempt,
          title: `${paths.length} new file${paths.length === 1 ? '' : 's'}`,
        };
        try {
          const done = await refreshMediaServer(server, name, paths, {
            env: options.env ?? process.env,
            timeoutMs: options.timeoutMs ?? 15_000,
            signal: options.signal,
          });
          logger.info({ server: name, files: paths.length, attempt }, `media server refreshed: ${done}`);
          await recordResult(options.stateDir, { ...base, at: at(), ok: true, final: true }).catch(
            () => undefined,
          );
          return;
        } catch (error) {
          const final = attempt >= attempts || options.signal?.aborted === true;
          const message = errorMessage(error);
          logger[final ? 'error' : 'warn'](
            { server: name, attempt },
            `media server refresh failed${final ? '' : '; will retry'}: ${message}`,
          );
          await recordResult(options.stateDir, { ...base, at: at(), ok: false, final, error: message }).catch(
            () => undefined,
          );
          if (final) return;
          await sleep((options.firstDelayMs ?? 2000) * 2 ** (attempt - 1), undefined, {
            signal: options.signal,
          }).catch(() => undefined);
        }
      }
    }),
  );
}
