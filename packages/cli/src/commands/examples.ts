import type { Command } from 'commander';

const EXAMPLES = new WeakMap<Command, readonly string[]>();

/**
 * Adds "Examples:" to a command's `--help`: each a whole command line (`imk separate song.mp3 --out out`)
 * with what it does. They are kept with the command so that a test parses each one with the command's own
 * options (examplesOf): an example that names an option the command no longer has fails there.
 */
export function withExamples(command: Command, examples: readonly (readonly [string, string])[]): Command {
  EXAMPLES.set(
    command,
    examples.map(([line]) => line),
  );
  const lines = examples.map(([line, what]) => `  # ${what}\n  $ ${line}`);
  return command.addHelpText('after', `\nExamples:\n${lines.join('\n')}`);
}

/** The example command lines of a command (withExamples), as written. */
export function examplesOf(command: Command): readonly string[] {
  return EXAMPLES.get(command) ?? [];
}
