import { createLogger, terminalText } from '@imk/log';
import { legacyEnvWarnings, resolvePaths, warnLegacyEnv, type ImkPaths, type WarnLogger } from '@imk/config';

export interface CommandContext {
  paths: ImkPaths;
}

/**
 * The command's paths. Variables of the earlier version in the environment (OUTPUTS_DIR: the paths
 * honour it) are said as `imk sync` says them (warnLegacyEnv: one warning each), by `logger` (the command's
 * own), else by the CLI's; `false` for a command that reads them itself (`imk migrate`) or whose output is
 * a health log (`imk healthcheck`). Before, only `imk sync`, `imk run` and `imk up` said them: `imk jobs`
 * listed the earlier version's outputs folder without a word of why.
 */
export function contextFrom(options: { root?: string }, logger?: WarnLogger | false): CommandContext {
  const paths = resolvePaths(options.root);
  if (logger !== false && legacyEnvWarnings(process.env).length > 0)
    warnLegacyEnv(logger ?? createLogger('imk'));
  return { paths };
}

/**
 * Prints to stdout; commands print results there and logs go to stderr. Control characters but line breaks
 * and tabs are shown escaped (terminalText): what is printed carries text from files others wrote.
 */
export function print(text: string): void {
  const safe = terminalText(text);
  process.stdout.write(safe.endsWith('\n') ? safe : `${safe}\n`);
}
