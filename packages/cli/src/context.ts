import { terminalText } from '@imk/log';
import { resolvePaths, type ImkPaths } from '@imk/config';

export interface CommandContext {
  paths: ImkPaths;
}

export function contextFrom(options: { root?: string }): CommandContext {
  return { paths: resolvePaths(options.root) };
}

/**
 * Prints to stdout; commands print results there and logs go to stderr. Control characters but line breaks
 * and tabs are shown escaped (terminalText): what is printed carries text from files others wrote.
 */
export function print(text: string): void {
  const safe = terminalText(text);
  process.stdout.write(safe.endsWith('\n') ? safe : `${safe}\n`);
}
