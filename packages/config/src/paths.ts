import { resolve, join } from 'node:path';

export const QUEUE_NAMES = ['youtube_audio', 'youtube_video', 'other'] as const;

export interface ImkPaths {
  root: string;
  queues: string;
  outputs: string;
  config: string;
  /** Ledger database, sync receipts, caches: state that can be rebuilt or is local to this host. */
  state: string;
}

/** Where everything lives: `--root`, else `IMK_ROOT`, else the current folder. */
export function resolvePaths(root?: string, env: NodeJS.ProcessEnv = process.env): ImkPaths {
  const base = resolve(root ?? env.IMK_ROOT ?? process.cwd());
  return {
    root: base,
    queues: join(base, 'queues'),
    outputs: join(base, 'outputs'),
    config: join(base, 'config'),
    state: join(base, 'state'),
  };
}
