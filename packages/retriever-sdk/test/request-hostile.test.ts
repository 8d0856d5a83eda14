import { lstat, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { createRequestFolder } from '../src/index.ts';

const logger = createLogger('test', { level: 'silent' });
let dir: string;
let outside: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-requests-hostile-'));
  outside = await mkdtemp(join(tmpdir(), 'imk-requests-outside-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

function folderSeeing(seen: string[][]) {
  return createRequestFolder({
    dir,
    extensions: ['.txt'],
    logger,
    stableChecks: 1,
    handle: (request) => {
      seen.push(request.lines);
      // A careless handler quotes the line it could not use.
      return Promise.reject(new Error(`not a link: ${request.lines[0] ?? ''}`));
    },
  });
}

describe('hostile request files', () => {
  it('a link (to /etc/passwd), a FIFO and an oversized file are refused with a reason, never read', async () => {
    const secret = join(outside, 'passwd');
    await writeFile(secret, 'root:x:0:0:root:/root:/bin/bash\n');
    await symlink(secret, join(dir, 'passwd.txt'));
    await execa('mkfifo', [join(dir, 'pipe.txt')]);
    await writeFile(join(dir, 'huge.txt'), 'u'.repeat(2 << 20));
    const seen: string[][] = [];
    const handled = await folderSeeing(seen).scan();
    expect(handled.map((h) => h.outcome)).toEqual(['fail', 'fail', 'fail']);
    expect(seen).toEqual([]);
    const reason = (name: string) => readFile(join(dir, `${name}.fail.reason`), 'utf8');
    expect(await reason('passwd')).toMatch(/passwd\.txt is a symbolic link/);
    expect(await reason('passwd')).not.toContain('root:x');
    expect(await reason('pipe')).toMatch(/pipe\.txt is a FIFO/);
    expect(await reason('huge')).toMatch(/huge\.txt is too large/);
    // The link is kept as a link (renamed), its target untouched.
    expect((await lstat(join(dir, 'passwd.fail'))).isSymbolicLink()).toBe(true);
    expect(await readFile(secret, 'utf8')).toMatch(/^root:x/);
  });

  it('a 10 MB line quoted in a failure gives a short reason file', async () => {
    const folder = createRequestFolder({
      dir,
      extensions: ['.txt'],
      logger,
      stableChecks: 1,
      handle: (request) => Promise.reject(new Error(`not a link: ${request.text}`)),
    });
    // Under the request-file cap, so it is read; the handler's message quotes all of it.
    await writeFile(join(dir, 'long.txt'), 'x'.repeat(1_000_000));
    await folder.scan();
    expect((await stat(join(dir, 'long.fail.reason'))).size).toBeLessThan(4096);
    expect(await readFile(join(dir, 'long.fail.reason'), 'utf8')).toMatch(/more characters left out/);
    expect(await readdir(dir)).toEqual(expect.arrayContaining(['long.fail', 'long.fail.reason']));
  });
});
