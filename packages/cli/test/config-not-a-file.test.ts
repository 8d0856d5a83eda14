// A config file that is not a regular file (a named pipe left by a tool, a folder created by a bind mount
// of a missing file) used to be read as it was: a FIFO blocked every service, `imk doctor` and
// `imk cleanup` forever without a word. Now it is a config error naming the file and what it is.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';

// Well above a normal run here (~5 s for doctor); a blocked read never ends.
const imk = (...args: string[]) =>
  execa(process.execPath, [IMK, ...args], { reject: false, timeout: 60_000, stdin: 'ignore' });

let root = '';
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-config-fifo-'));
  await mkdir(join(root, 'config'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('a config file that is not a regular file', () => {
  it('imk doctor finishes and names a FIFO config file as a failed check', async () => {
    execFileSync('mkfifo', [join(root, 'config', 'operations.yaml')]);
    const result = await imk('doctor', '--root', root);
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      `${join(root, 'config', 'operations.yaml')} is a FIFO (named pipe), not a regular file`,
    );
  });

  it('imk cleanup stops at once with the file named, for config/paths.yaml (read synchronously) too', async () => {
    execFileSync('mkfifo', [join(root, 'config', 'paths.yaml')]);
    const result = await imk('cleanup', '--dry-run', '--root', root);
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`${join(root, 'config', 'paths.yaml')} is a FIFO (named pipe)`);
  });

  it('a folder in place of a config file is named as one', async () => {
    await mkdir(join(root, 'config', 'operations.yaml'));
    const result = await imk('cleanup', '--dry-run', '--root', root);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `${join(root, 'config', 'operations.yaml')} is a folder, not a regular file`,
    );
  });
});
