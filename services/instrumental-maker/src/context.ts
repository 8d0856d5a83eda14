import type { ImkPaths } from '@imk/config';
import type { Ledger } from '@imk/ledger';
import type { Logger } from '@imk/log';
import type { InstrumentalMakerConfig } from './config.ts';
import type { EngineProvider } from './engines.ts';
import type { StemCache } from './stem-cache.ts';

/** What every job of one worker shares. */
export interface WorkerContext {
  paths: ImkPaths;
  config: InstrumentalMakerConfig;
  ledger: Ledger;
  /** Undefined when the stem cache is turned off. */
  cache: StemCache | undefined;
  engines: EngineProvider;
  consumerId: string;
  /** Scratch space; each job gets its own folder inside. */
  workRoot: string;
  logger: Logger;
}
