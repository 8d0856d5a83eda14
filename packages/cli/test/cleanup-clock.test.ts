// Retention measured an entry's age as this host's Date.now() minus times the file system stamped (the file
// server's clock, when the root is on a share): a host a day ahead of the server deleted archives, caches
// and the scratch folder of a job running now a day early; one behind kept them past their limit. Ages are
// now measured on the clock of the file system each folder is on (a private .imk-clock-check-<random>/
// folder made there and removed at once). The host's clock is moved by a test stand-in (clockOffsetEnv);
// the disk stamps real times.
import { chmod, chown, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clockOffsetEnv } from '@imk/fs-safe/testing';
import { IMK } from './imk-bin.ts';

const DAY = 86_400_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const imkAt = (offsetMs: number, ...args: string[]) =>
  execa(process.execPath, [IMK, ...args], { reject: false, env: clockOffsetEnv(offsetMs) });

let root = '';
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-cleanup-clock-'));
});
afterEach(async () => {
  await chmod(join(root, 'state/tmp/instrumental-maker'), 0o755).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

async function put(path: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, 'x');
}

async function retention(yaml: string): Promise<void> {
  await mkdir(join(root, 'config'), { recursive: true });
  await writeFile(join(root, 'config', 'operations.yaml'), `retention:\n${yaml}`);
}

/** One entry of each kind cleanup ages, made now: an archive, a cache entry, two leftovers. */
const ENTRIES = {
  archive: 'queues/other/succeeded/job_a@w1.a',
  replaced: 'outputs/.replaced/job_c@20240101',
  cache: 'state/cache/previews/abc',
  scratch: 'state/tmp/instrumental-maker/job_r-host-1-ab',
  partial: 'outputs/.job_old.partial-host-2-cd',
};
/**
 * Each entry holds one file of 1 B. The replaced output folder holds it where imk writes a job's files
 * (files/audio/): a replaced folder holding a file imk did not write is kept by cleanup (a user's).
 */
async function putEntries(): Promise<void> {
  for (const entry of Object.values(ENTRIES))
    await put(join(root, entry, entry === ENTRIES.replaced ? 'files/audio/audio.wav' : 'audio.wav'));
}
const there = async (): Promise<string[]> => {
  const found: string[] = [];
  for (const entry of Object.values(ENTRIES))
    if ((await readdir(join(root, entry, '..'))).includes(entry.split('/').pop()!)) found.push(entry);
  return found;
};

describe("imk cleanup on a host whose clock is off the file system's", () => {
  it('deletes nothing younger than the limits, on a host two days ahead', async () => {
    await retention(
      '  archives: { maxAgeDays: 1 }\n  caches: { maxAgeDays: 1 }\n  temp: { maxAgeHours: 1 }\n',
    );
    await putEntries();

    const result = await imkAt(2 * DAY, 'cleanup', '--root', root);

    expect(result.stdout, result.stderr).toContain('freed 0 B in 0 entries');
    expect(result.exitCode).toBe(0);
    expect(await there()).toEqual(Object.values(ENTRIES));
    // The looks at the file system's clock leave nothing behind.
    expect((await readdir(join(root, 'outputs'))).sort()).toEqual([
      '.job_old.partial-host-2-cd',
      '.replaced',
    ]);
    expect(await readdir(join(root, 'queues/other/succeeded'))).toEqual(['job_a@w1.a']);
    expect(await readdir(join(root, 'state/tmp/instrumental-maker'))).toEqual(['job_r-host-1-ab']);
  });

  it('still deletes what is past the limits, on a host a day behind', async () => {
    // Limits of about a second: the entries are past them once the file system's clock has moved on.
    await retention(
      '  archives: { maxAgeDays: 0.00001 }\n  caches: { maxAgeDays: 0.00001 }\n  temp: { maxAgeHours: 0.0003 }\n',
    );
    await putEntries();
    await sleep(1500);

    const result = await imkAt(-DAY, 'cleanup', '--root', root);

    expect(result.stdout, result.stderr).toContain('freed 5 B in 5 entries');
    expect(result.exitCode).toBe(0);
    expect(await there()).toEqual([]);
  });
});

// Permissions do not stop root: as root, cleanup runs as `nobody` and the read-only folder belongs to root.
const asRoot = process.getuid?.() === 0;
const NOBODY = 65_534;

describe("imk cleanup where the file system's clock cannot be read", () => {
  it("measures on this host's clock in a folder it may not write to, and says so", async () => {
    await retention('  temp: { maxAgeHours: 0.0003 }\n');
    await putEntries();
    const scratch = join(root, 'state/tmp/instrumental-maker');
    if (asRoot) {
      const own = async (dir: string): Promise<void> => {
        await chown(dir, NOBODY, NOBODY);
        for (const entry of await readdir(dir, { withFileTypes: true }))
          if (entry.isDirectory()) await own(join(dir, entry.name));
          else await chown(join(dir, entry.name), NOBODY, NOBODY);
      };
      await own(root);
      await chown(scratch, 0, 0);
    }
    await chmod(scratch, 0o555);
    await sleep(1500);

    const args = [IMK, 'cleanup', '--dry-run', '--root', root];
    const result = asRoot
      ? await execa(
          'setpriv',
          [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, ...args],
          { reject: false, env: { HOME: tmpdir() } },
        )
      : await execa(process.execPath, args, { reject: false });

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`imk cleanup: measured the ages in ${scratch} on this host's clock`);
    expect(result.stderr).toContain('let the user cleanup runs as write to these folders');
    // Said once, and only for that folder: outputs/ was written to, so its clock was read there.
    expect(result.stderr.split('measured the ages').length).toBe(2);
    // On this host's clock (the same as the disk's here), the leftover is past the limit all the same.
    expect(result.stdout).toContain('would remove temp');
    expect(result.stdout).toContain(join(scratch, 'job_r-host-1-ab'));
  });
});
