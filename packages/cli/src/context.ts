import { Option, type Command } from 'commander';
import { resolvePaths, type ImkPaths } from '@imk/config';

export interface CommandContext {
  paths: ImkPaths;
}

/** Every verb takes `--root DIR` (or IMK_ROOT) locating queues/, outputs/ and config/. */
export function withRoot(command: Command): Command {
  return command.addOption(
    new Option(
      '--root <dir>',
      'folder holding queues/, outputs/ and config/ (default: $IMK_ROOT or the current folder)',
    ),
  );
}

export function contextFrom(options: { root?: string }): CommandContext {
  return { paths: resolvePaths(options.root) };
}

/** Prints to stdout; commands print results there and logs go to stderr. */
export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
