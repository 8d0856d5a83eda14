import { resolvePaths, type ImkPaths } from '@imk/config';

export interface CommandContext {
  paths: ImkPaths;
}

export function contextFrom(options: { root?: string }): CommandContext {
  return { paths: resolvePaths(options.root) };
}

/** Prints to stdout; commands print results there and logs go to stderr. */
export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
