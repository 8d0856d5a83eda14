// What the Ctrl-C tests share: `imk` started as a shell starts a command at its prompt (a process group of
// its own, whose whole group a terminal's Ctrl-C signals), and a look at the tools it runs.
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { IMK } from './imk-bin.ts';

/** `imk <args> --root <root>` in a process group of its own, its output (JSON log lines) gathered in `all`. */
export const imkInOwnGroup = (args: string[], root: string, env: Record<string, string> = {}) =>
  execa(IMK, [...args, '--log-format', 'json', '--root', root], {
    detached: true,
    reject: false,
    all: true,
    stdin: 'ignore',
    env: { IMK_LOG_LEVEL: 'info', ...env },
  });

/** Ctrl-C at the terminal: SIGINT to every process of the group `pid` leads. */
export const ctrlC = (pid: number): void => void process.kill(-pid, 'SIGINT');

/** The processes `pid` started, and the ones they started, …: their pids. */
function descendantsOf(pid: number | string): string[] {
  let children: string[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendantsOf(child)]);
}

/** The tools `pid` runs now (its descendants, at any depth, whose program is one of `names`), by pid. */
export function toolsOf(pid: number, names: readonly string[]): string[] {
  return descendantsOf(pid).filter((child) => {
    try {
      return names.includes(readFileSync(`/proc/${child}/comm`, 'utf8').trim());
    } catch {
      return false;
    }
  });
}

/** Resolves once `done()` holds, looking every `ms`. */
export const until = (done: () => boolean, ms = 5) =>
  new Promise<void>((resolve) => {
    const look = setInterval(() => {
      if (done()) {
        clearInterval(look);
        resolve();
      }
    }, ms);
  });
