import { homedir } from 'node:os';
import { z } from 'zod';

/**
 * Why a path from the settings that starts with `~` is not what its writer meant, and what to write
 * instead (`where`: in which settings, e.g. ` in remoteRoots`); undefined for any other path. No shell reads the settings, so `~` is no home folder: a folder
 * `outputs: ~/imk-outputs` was `<root>/~/imk-outputs`, made there without a word, and a destination
 * `~/Music` was "not an absolute path". The one wording of it (config fields, nas-sync's destinations).
 */
export function homeTildeProblem(path: string, where = ''): string | undefined {
  const tilde = /^~([^/]*)(\/[^/]*)?/.exec(path);
  if (tilde === null) return undefined;
  const home = tilde[1] === '' ? homedir() : `/home/${tilde[1]}`;
  return `a leading "~" is not expanded to a home folder: no shell reads the settings; write the full path${where}: "${home}${tilde[2] ?? ''}", not "${tilde[0]}"`;
}

/**
 * A folder or file of this host named in the settings: a text that does not start with `~` (`min` characters
 * at least).
 */
export function localPathSchema(min = 0) {
  return z
    .string()
    .min(min)
    .superRefine((value, ctx) => {
      const problem = homeTildeProblem(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    });
}
