import { Option, type Command } from 'commander';

/** Every verb takes `--root DIR` (or IMK_ROOT) locating queues/, outputs/ and config/. */
export function withRoot(command: Command): Command {
  return command.addOption(
    new Option(
      '--root <dir>',
      'folder holding queues/, outputs/ and config/ (default: $IMK_ROOT or the current folder)',
    ),
  );
}
