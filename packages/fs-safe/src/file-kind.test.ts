import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { readRegularFile, readRegularFileSync } from './regular-file.ts';
import { readUntrustedFile } from './untrusted.ts';

// A FIFO is refused by two readers: files someone else wrote (a bundle's job.json) and files the user's
// configuration names (a config file, a token). A user who meets both reads one name for one thing.
describe('the kind of a refused file is spelled one way by every fs-safe reader', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'imk-kind-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a FIFO is "a FIFO (named pipe)" for untrusted files, config files and secrets alike', async () => {
    const fifo = join(dir, 'pipe');
    await execa('mkfifo', [fifo]);
    const said = [
      String(await readUntrustedFile(fifo, { maxBytes: 100 }).catch((e: unknown) => e)),
      String(await readRegularFile(fifo).catch((e: unknown) => e)),
      String(
        (() => {
          try {
            return readRegularFileSync(fifo);
          } catch (error) {
            return error;
          }
        })(),
      ),
    ];
    for (const message of said) expect(message).toContain('pipe is a FIFO (named pipe), not a regular file');
  });

  it('a device is "a character device" for both', async () => {
    const said = [
      String(await readUntrustedFile('/dev/null', { maxBytes: 100 }).catch((e: unknown) => e)),
      String(await readRegularFile('/dev/null').catch((e: unknown) => e)),
    ];
    for (const message of said)
      expect(message).toContain('/dev/null is a character device, not a regular file');
  });
});
