import { chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { errorMessage, retryableOf } from '@imk/errors';
import { digestFile } from './hash.ts';
import { readUntrustedFile, readUntrustedText } from './untrusted.ts';

const TSX = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));

describe('readUntrustedFile', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'imk-untrusted-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads a regular file', async () => {
    await writeFile(join(dir, 'job.json'), '{"a":1}');
    expect(await readUntrustedText(join(dir, 'job.json'), { maxBytes: 100 })).toBe('{"a":1}');
  });

  it('refuses a FIFO at once, naming it, without blocking (and never as retryable)', async () => {
    const fifo = join(dir, 'fifo.json');
    await execa('mkfifo', [fifo]);
    // Nothing ever writes to this FIFO: a read that opened or read it would wait for good (the test's
    // timeout), so an answer at all shows it did not block; the test's clock is not asserted on (a
    // starved machine can stretch it past any bound).
    const error = await readUntrustedFile(fifo, { maxBytes: 100, name: 'job.json' }).catch((e: unknown) => e);
    expect(String(error)).toMatch(/job\.json is a FIFO \(named pipe\), not a regular file/);
    expect(retryableOf(error)).toBe(false);
    // Hashing goes through the same door.
    await expect(digestFile(fifo, ['sha256'], { untrusted: { name: 'audio.wav' } })).rejects.toThrow(
      /audio\.wav is a FIFO/,
    );
  });

  it('refuses a symbolic link, even to /dev/zero or to a regular file', async () => {
    await symlink('/dev/zero', join(dir, 'zero.json'));
    await writeFile(join(dir, 'real.json'), '{}');
    await symlink(join(dir, 'real.json'), join(dir, 'link.json'));
    await expect(readUntrustedFile(join(dir, 'zero.json'), { maxBytes: 100 })).rejects.toThrow(
      /zero\.json is a symbolic link/,
    );
    await expect(readUntrustedFile(join(dir, 'link.json'), { maxBytes: 100 })).rejects.toThrow(
      /link\.json is a symbolic link/,
    );
  });

  it('with followLinks, follows a link to a regular file but still refuses one to a device', async () => {
    await writeFile(join(dir, 'target.json'), '{"b":2}');
    await symlink(join(dir, 'target.json'), join(dir, 'followed.json'));
    await symlink('/dev/zero', join(dir, 'zero-followed.json'));
    const options = { maxBytes: 100, followLinks: true };
    expect(await readUntrustedText(join(dir, 'followed.json'), options)).toBe('{"b":2}');
    const error = await readUntrustedFile(join(dir, 'zero-followed.json'), options).catch((e: unknown) => e);
    expect(String(error)).toMatch(/zero-followed\.json is a character device, not a regular file/);
    expect((error as { details: { kind?: string } }).details.kind).toBe('a character device');
  });

  it('with followLinks, says a loop of links is a loop, not a link it refused to follow', async () => {
    await symlink('loop-a.env', join(dir, 'loop-b.env'));
    await symlink('loop-b.env', join(dir, 'loop-a.env'));
    const options = { maxBytes: 100, followLinks: true, name: '--env loop-a.env' };
    const error = await readUntrustedFile(join(dir, 'loop-a.env'), options).catch((e: unknown) => e);
    expect(errorMessage(error)).toBe(
      '--env loop-a.env is a loop of symbolic links (ELOOP): it leads to no file; point the link at the file meant',
    );
    expect((error as { code?: string }).code).toBe('FILE_IS_SYMLINK');
    expect(retryableOf(error)).toBe(false);
  });

  it('refuses a device, a socket and a folder', async () => {
    await expect(readUntrustedFile('/dev/zero', { maxBytes: 100 })).rejects.toThrow(/character device/);
    const socketPath = join(dir, 'sock');
    const server = createServer().listen(socketPath);
    await new Promise((resolve) => server.once('listening', resolve));
    await expect(readUntrustedFile(socketPath, { maxBytes: 100 })).rejects.toThrow(/sock is a socket/);
    server.close();
    await mkdir(join(dir, 'folder'));
    await expect(readUntrustedFile(join(dir, 'folder'), { maxBytes: 100 })).rejects.toThrow(/is a folder/);
  });

  it('refuses a file over the cap of its use', async () => {
    await writeFile(join(dir, 'big'), Buffer.alloc(2000));
    const error = await readUntrustedFile(join(dir, 'big'), { maxBytes: 1000, name: 'request.txt' }).catch(
      (e: unknown) => e,
    );
    expect(String(error)).toMatch(/request\.txt is too large \(2000 bytes; at most 1000/);
    expect(retryableOf(error)).toBe(false);
  });

  it('says "permission denied" for a file it may not read, as a permanent condition', async () => {
    const file = join(dir, 'secret.wav');
    await writeFile(file, 'x');
    await chmod(file, 0o000);
    const script = `import { readUntrustedFile } from ${JSON.stringify(fileURLToPath(new URL('./untrusted.ts', import.meta.url)))};
      import { errorMessage } from ${JSON.stringify(fileURLToPath(new URL('../../errors/src/index.ts', import.meta.url)))};
      try { await readUntrustedFile(${JSON.stringify(file)}, { maxBytes: 10 }); console.log('read'); }
      catch (e) { console.log(errorMessage(e), '| retryable:', e.retryable, '|', JSON.stringify(e.details)); }`;
    const probe = join(dir, 'probe.mts');
    await writeFile(probe, script);
    // root reads anything: run the reader as "nobody" then (the file stays root's, mode 000).
    const asUser =
      process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    if (process.getuid?.() === 0) await chown(dir, 0, 0);
    await chmod(dir, 0o755);
    const [command = TSX, ...args] = [...asUser, TSX, probe];
    const { stdout } = await execa(command, args, { cwd: fileURLToPath(new URL('.', import.meta.url)) });
    expect(stdout).toMatch(/secret\.wav cannot be read: permission denied \(EACCES\).*retryable: false/);
    // Named by its folder and its own name, the system's words ("EACCES: permission denied, open '/tmp/…'")
    // not repeated with the absolute path: kept as details.
    const [message = '', , details = '{}'] = stdout.split(' | ');
    expect(message).toMatch(new RegExp(`^${basename(dir)}/secret\\.wav cannot be read: permission denied`));
    expect(message).not.toContain(dir);
    expect(JSON.parse(details)).toMatchObject({ errno: 'EACCES', path: file });
  });

  it('names a file it cannot reach without the absolute path, whatever the errno, keeping it as details', async () => {
    await writeFile(join(dir, 'plain'), 'x');
    const cases = [
      [join(dir, 'gone.json'), 'ENOENT', /does not exist/],
      [
        join(dir, 'plain', 'below.json'),
        'ENOTDIR',
        /is not a regular file \(ENOTDIR\); put a regular file there/,
      ],
      [join(dir, `${'é'.repeat(200)}.json`), 'ENAMETOOLONG', /is not a regular file \(ENAMETOOLONG\)/],
    ] as const;
    for (const [path, errno, said] of cases) {
      const error = await readUntrustedFile(path, { maxBytes: 10 }).catch((e: unknown) => e);
      const message = errorMessage(error);
      expect(message, errno).toMatch(said);
      expect(message, errno).not.toContain(tmpdir());
      expect((error as { details: object }).details, errno).toMatchObject({ errno, path });
      // Inside a folder a caller names (`within`), the path inside it names the file.
      const inside = await readUntrustedFile(path, { maxBytes: 10, within: dir }).catch((e: unknown) => e);
      expect(errorMessage(inside), errno).toMatch(new RegExp(`^${relative(dir, path)} `));
    }
  });
});
