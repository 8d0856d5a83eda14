import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { createLogger, type Logger } from '@imk/log';

/** A logger for tests: silent unless IMK_TEST_LOG names a level. */
export function testLogger(): Logger {
  return createLogger('test', { level: process.env.IMK_TEST_LOG ?? 'silent' });
}

/** A logger whose JSON lines are collected, for tests that check what was logged (one home: @imk/log/testing). */
export { capturingLogger } from '@imk/log/testing';

export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * What a user in Germany has: a de_DE.UTF-8 locale built with localedef under `dir` (found through LOCPATH,
 * so nothing is installed on the machine), as the environment that selects it.
 */
export async function germanLocale(dir: string): Promise<{ LANG: string; LC_ALL: string; LOCPATH: string }> {
  const locales = join(dir, 'locales');
  await mkdir(locales, { recursive: true });
  await execa('localedef', ['-i', 'de_DE', '-f', 'UTF-8', join(locales, 'de_DE.UTF-8')]);
  return { LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8', LOCPATH: locales };
}
