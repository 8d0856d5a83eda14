// What the Ctrl-C tests share: `imk` started as a shell starts a command at its prompt (a process group of
// its own, whose whole group a terminal's Ctrl-C signals), and a look at the tools it runs.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import { within } from '@imk/fs-safe/testing';
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

/**
 * `imk run --once` on `dir` (its waiting bundle) with a demucs that runs until it is killed, so the job sits
 * in its separate stage for as long as a test needs: once that demucs runs, the run and the demucs (`sleep`)
 * pids.
 */
export async function runOnceSeparating(dir: string) {
  const demucs = join(dir, 'slow-demucs');
  await writeFile(demucs, '#!/bin/sh\nexec sleep 300\n', { mode: 0o755 });
  await mkdir(join(dir, 'config'), { recursive: true });
  await writeFile(join(dir, 'config', 'instrumental-maker.yaml'), 'engine:\n  name: demucs\n');
  const run = imkInOwnGroup(['run', '--once'], dir, { IMK_DEMUCS: demucs });
  let tools: string[] = [];
  await within(
    until(() => (tools = toolsOf(run.pid!, ['sleep'])).length > 0 || run.exitCode !== null),
    60_000,
    'the job to run its demucs',
  );
  expect(tools.length, 'imk ended before it ran demucs').toBeGreaterThan(0);
  return { run, tools };
}

/** Ctrl-C to `run`'s group, then waits until imk says it stops. */
export async function ctrlCUntilStopping(run: ReturnType<typeof imkInOwnGroup>): Promise<void> {
  let said = '';
  run.all.on('data', (chunk: Buffer) => (said += chunk.toString()));
  ctrlC(run.pid!);
  await within(
    until(() => said.includes('stopping')),
    10_000,
    'imk to say it stops',
    () => said,
  );
}
