import { Command, CommanderError } from 'commander';
import { errorMessage, isImkError } from '@imk/errors';
import { terminalText } from '@imk/log';
import { COMMANDS } from './commands/index.ts';
import { applyLogFormatFlag } from './log-format.ts';

export function createProgram(): Command {
  const program = new Command('imk')
    .description('instrumental-maker: turn songs into instrumental versions and stems')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  for (const register of COMMANDS) register(program);
  applyLogFormatFlag(program);
  return program;
}

/** Runs the CLI; errors print one clear line (with the error code) and set a non-zero exit code. */
export async function main(argv: string[]): Promise<void> {
  const program = createProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    const code = isImkError(error) ? ` [${error.code}]` : '';
    process.stderr.write(`imk: ${terminalText(errorMessage(error))}${code}\n`);
    process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 1;
  }
}
