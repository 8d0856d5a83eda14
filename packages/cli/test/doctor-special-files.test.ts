// `imk doctor` reads the files the configuration names (YouTube cookies, the Deezer ARL, the dashboard's
// token). A named pipe there (a secret handed over through a FIFO, or one made by mistake) blocked the
// read forever: doctor printed nothing and never ended. Every such file is now read only when it is a
// regular file, and doctor says what it is instead.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';

let root = '';
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-doctor-fifo-'));
  await mkdir(join(root, 'config'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('imk doctor with named pipes where files are configured', () => {
  it('finishes and names each one (cookies, ARL, dashboard token)', async () => {
    for (const name of ['cookies.txt', 'arl.txt', 'token.txt']) execFileSync('mkfifo', [join(root, name)]);
    await writeFile(join(root, 'config', 'youtube-retriever.yaml'), 'cookiesFile: cookies.txt\n');
    await writeFile(join(root, 'config', 'deemix-retriever.yaml'), 'arlFile: arl.txt\n');
    await writeFile(join(root, 'config', 'web.yaml'), 'tokenFile: token.txt\n');

    // A normal run takes a few seconds here; a blocked read never ends.
    const result = await execa(process.execPath, [IMK, 'doctor', '--root', root], {
      reject: false,
      timeout: 60_000,
      stdin: 'ignore',
    });

    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      /YouTube cookies .*cookies\.txt cannot be read \(a FIFO \(named pipe\), not a regular file\)/,
    );
    expect(result.stdout).toMatch(
      /Deezer ARL .*arl\.txt cannot be read \(a FIFO \(named pipe\), not a regular file\)/,
    );
    expect(result.stdout).toMatch(
      /dashboard address and token .*token file token\.txt: a FIFO \(named pipe\)/,
    );
  });
});
