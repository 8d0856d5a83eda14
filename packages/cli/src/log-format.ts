import { InvalidArgumentError, Option, type Command } from 'commander';
import { LOG_FORMAT_ENV, LOG_FORMATS } from './commands/choices.ts';

/** `--log-format json|pretty`, for the commands that run services (`imk up`, `imk run`). */
export function logFormatOption(): Option {
  return (
    new Option(
      '--log-format <format>',
      `log lines as JSON or one human line per event (default: $${LOG_FORMAT_ENV}, else pretty on a terminal, json elsewhere and in containers)`,
    )
      .choices(LOG_FORMATS)
      // As $IMK_LOG_FORMAT is read: `--log-format JSON` (or ` Pretty`) is the same choice, not an error.
      .argParser((value: string) => {
        const format = value.trim().toLowerCase();
        if (!(LOG_FORMATS as readonly string[]).includes(format))
          throw new InvalidArgumentError(`Allowed choices are ${LOG_FORMATS.join(', ')}.`);
        return format;
      })
  );
}

/**
 * Before any command's action runs, a `--log-format` it was given goes into $IMK_LOG_FORMAT, so every logger
 * of the process (and of any worker process it starts) follows it; without the flag the environment or
 * the terminal decides (createLogger).
 */
export function applyLogFormatFlag(program: Command): void {
  program.hook('preAction', (_program, action) => {
    const format = action.opts<{ logFormat?: string }>().logFormat;
    if (format !== undefined) process.env[LOG_FORMAT_ENV] = format;
  });
}
