// The models folder itself, when it is there but cannot be listed. `imk models` printed Node's bare
// "imk: ENOTDIR: not a directory, scandir '…/models'" for a models/ that is a file, and `imk doctor` said
// "the check itself failed" with the same words; a models/ linked to a share that is not mounted was "no .onnx
// models in …/models (copy UVR's MDX-Net models there)", which sends the user copying models into a link to
// nothing. Both now name the folder, what it is and what to do.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';

const run = (args: string[]) =>
  execa(process.execPath, [IMK, ...args], { reject: false, timeout: 60_000, stdin: 'ignore' });

describe('a models folder that is there but cannot be listed', async () => {
  const base = await mkdtemp(join(tmpdir(), 'imk-models-folder-'));
  afterAll(() => rm(base, { recursive: true, force: true }));
  const fileRoot = join(base, 'file');
  const linkRoot = join(base, 'link');
  await Promise.all([mkdir(fileRoot), mkdir(linkRoot)]);
  await writeFile(join(fileRoot, 'models'), 'a file where the models folder should be');
  const share = join(base, 'nas', 'models');
  await symlink(share, join(linkRoot, 'models'));

  const cases = [
    [
      'a file',
      fileRoot,
      `models folder ${join(fileRoot, 'models')} is a file, not a folder: move that file aside and make ${join(fileRoot, 'models')} a folder with the .onnx models in it`,
    ],
    [
      'a link to a share not mounted',
      linkRoot,
      `models folder ${join(linkRoot, 'models')} is a symbolic link to ${share}, which is not there (a share not mounted?): mount it or point the link at the folder that holds the .onnx models`,
    ],
  ] as const;

  it.each(cases)('%s: imk models says so, and fails', async (_what, root, says) => {
    const result = await run(['models', '--root', root]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`imk: ${says}`);
  });

  it.each(cases)('%s: imk doctor warns, saying so', async (_what, root, says) => {
    const result = await run(['doctor', '--root', root, '--group', 'worker', '--json']);
    const report = JSON.parse(result.stdout) as { checks: { id: string; status: string; summary: string }[] };
    const check = report.checks.find((c) => c.id === 'mdx-models');
    expect(check).toMatchObject({ status: 'warn', summary: expect.stringContaining(says) });
  });
});
