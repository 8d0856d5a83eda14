import { lutimes, mkdir, open, readFile, readdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isImkError } from '@imk/errors';
import { nodeScript } from '../../cli/test/bundle/scripts.ts';
import { PRODUCER_FILE, createQueue, publishBundle } from '../src/index.ts';
import { sleep, tempRoot } from './helpers.ts';
import { PRODUCER_SCRIPT, waitFor } from './processes.ts';

let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root, cleanup } = await tempRoot('imk-producer-'));
});
afterEach(async () => {
  await cleanup();
});

/** A file big enough that copying, fsyncing and hashing it takes a while. */
async function bigFile(path: string, mebibytes: number): Promise<void> {
  const handle = await open(path, 'w');
  const block = Buffer.alloc(1 << 20, 7);
  for (let i = 0; i < mebibytes; i++) await handle.write(block);
  await handle.close();
}

describe('a producer killed mid-publish', () => {
  it('leaves only a .tmp folder that no consumer sees and the sweeper removes', async () => {
    const queueDir = join(root, 'queues', 'other');
    const source = join(root, 'big.wav');
    await bigFile(source, 192);
    const producer = execa(
      'node',
      [...nodeScript(PRODUCER_SCRIPT), JSON.stringify({ queueDir, jobId: 'half', source })],
      {
        reject: false,
      },
    );
    const started = async (): Promise<boolean> =>
      (await readdir(queueDir).catch((): string[] => [])).includes('job_half.tmp');
    await waitFor('the producer to start its .tmp folder', started, 30_000);
    producer.kill('SIGKILL');
    const result = await producer;
    expect(result.signal).toBe('SIGKILL');
    expect(result.stdout).not.toContain('published');
    expect(await readdir(queueDir)).toEqual(['job_half.tmp']);

    const queue = createQueue({ queueDir, watch: false, tmpMaxAgeMs: 1000, maintenance: false });
    try {
      expect(await queue.claim()).toBeUndefined();
      expect(await queue.counts()).toMatchObject({ ready: 0, claimed: 0, tmp: 1 });
      expect(await queue.sweepTmp()).toBe(0); // first sight: not old enough yet
      expect(await queue.claim()).toBeUndefined();
      await sleep(1100);
      expect(await queue.sweepTmp()).toBe(1);
      expect((await readdir(queueDir)).filter((name) => name.startsWith('job_'))).toEqual([]);
      expect(await queue.counts()).toMatchObject({ tmp: 0, ready: 0, succeeded: 0, failed: 0, rejected: 0 });
    } finally {
      await queue.close();
    }
  }, 60_000);

  it('is run again (a restarted inbox, a retried download) and publishes the job: its leftover is taken over', async () => {
    const queueDir = join(root, 'queues', 'other');
    const source = join(root, 'big.wav');
    await bigFile(source, 192);
    const run = () =>
      execa('node', [...nodeScript(PRODUCER_SCRIPT), JSON.stringify({ queueDir, jobId: 'again', source })], {
        reject: false,
      });
    const first = run();
    const started = async (): Promise<boolean> =>
      (await readdir(join(queueDir, 'job_again.tmp')).catch((): string[] => [])).includes('audio.wav');
    await waitFor('the producer to start copying', started, 30_000);
    first.kill('SIGKILL');
    expect((await first).signal).toBe('SIGKILL');
    expect(await readdir(queueDir)).toEqual(['job_again.tmp']);

    // The same producer started again: before, JOB_IN_PROGRESS until the sweeper removed the folder (24 h).
    const second = await run();
    expect(second.stderr).toBe('');
    expect(second.stdout).toContain('published');
    expect(await readdir(queueDir)).toEqual(['job_again']);
    expect((await readdir(join(queueDir, 'job_again'))).sort()).toEqual(['audio.wav', 'job.json']);
  }, 60_000);

  it('is not mistaken for a live one: a folder another running producer is writing is still refused', async () => {
    const queueDir = join(root, 'q');
    const tmp = join(queueDir, 'job_busy.tmp');
    await mkdir(tmp, { recursive: true });
    // The parent of this test process is alive: its folder is being written.
    await writeFile(join(tmp, PRODUCER_FILE), JSON.stringify({ host: hostname(), pid: process.ppid }));
    const error: unknown = await publishBundle({
      queueDir,
      job: { job_id: 'busy', source_type: 'local', audio_path: 'a.wav' },
      files: [{ name: 'a.wav', data: 'x' }],
    }).catch((e: unknown) => e);
    expect(isImkError(error, 'JOB_IN_PROGRESS')).toBe(true);
    expect((error as Error).message).toContain(`by process ${process.ppid} on ${hostname()}`);
    // Another host's folder cannot be judged from here, whatever its pid.
    await writeFile(join(tmp, PRODUCER_FILE), JSON.stringify({ host: 'other-host', pid: 999_999_999 }));
    const other: unknown = await publishBundle({
      queueDir,
      job: { job_id: 'busy', source_type: 'local', audio_path: 'a.wav' },
      files: [{ name: 'a.wav', data: 'x' }],
    }).catch((e: unknown) => e);
    expect(isImkError(other, 'JOB_IN_PROGRESS')).toBe(true);
    expect(await readdir(tmp)).toEqual([PRODUCER_FILE]);
  });

  it('does not sweep a .tmp folder that is still changing', async () => {
    const queueDir = join(root, 'q');
    const tmp = join(queueDir, 'job_slow.tmp');
    await mkdir(tmp, { recursive: true });
    const queue = createQueue({ queueDir, watch: false, tmpMaxAgeMs: 300, maintenance: false });
    try {
      const file = await open(join(tmp, 'audio.wav'), 'w');
      for (let i = 0; i < 6; i++) {
        await file.write(Buffer.alloc(1024, i));
        expect(await queue.sweepTmp()).toBe(0);
        await sleep(100);
      }
      await file.close();
      expect(await readdir(queueDir)).toEqual(['job_slow.tmp']);
    } finally {
      await queue.close();
    }
  });
});

// A consumer that just started also removes a .tmp folder whose newest mtime is older than twice
// tmpMaxAgeMs. That age was Date.now() minus mtimes the file server stamped: a host whose clock ran days
// ahead of it removed every .tmp folder a producer was still writing (its publish then failed), and one
// behind kept a folder left long ago. It is now aged on the file system's own clock. This host's clock is
// moved here by replacing Date.now for the sweep (a stand-in for a host whose clock is off; the disk
// stamps real times, as a file server does).
describe('the sweep of .tmp folders on a host whose clock is days off the file system', () => {
  const DAY = 86_400_000;
  async function sweepWithClock(queueDir: string, offsetMs: number): Promise<number> {
    const queue = createQueue({ queueDir, watch: false, tmpMaxAgeMs: 3600_000, maintenance: false });
    const realNow = Date.now.bind(Date);
    const now = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + offsetMs);
    try {
      return await queue.sweepTmp();
    } finally {
      now.mockRestore();
      await queue.close();
    }
  }

  it('keeps a .tmp folder a producer is writing now, when this host is three days ahead', async () => {
    const queueDir = join(root, 'q');
    await mkdir(join(queueDir, 'job_fresh.tmp'), { recursive: true });
    await writeFile(join(queueDir, 'job_fresh.tmp', 'audio.wav'), 'being written');
    expect(await sweepWithClock(queueDir, 3 * DAY)).toBe(0);
    // Nothing else is left in the queue folder (the look at the file system's clock is removed).
    expect(await readdir(queueDir)).toEqual(['job_fresh.tmp']);
  });

  it('removes a .tmp folder left three hours ago at first sight, when this host is three days behind', async () => {
    const queueDir = join(root, 'q');
    const tmp = join(queueDir, 'job_left.tmp');
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, 'audio.wav'), 'left behind');
    const left = new Date(Date.now() - 3 * 3600_000);
    await utimes(join(tmp, 'audio.wav'), left, left);
    await utimes(tmp, left, left);
    expect(await sweepWithClock(queueDir, -3 * DAY)).toBe(1);
    expect(await readdir(queueDir)).toEqual([]);
  });
});

// A producer's folder is the producer's: its links are part of it as links. The sweeper's walk followed
// them: a loop (`x -> .`) stopped it (ELOOP), a link to a folder that keeps changing made the abandoned
// folder look written to, so neither was ever removed (and a link to `/` walked the whole host each time).
describe('the sweep of an abandoned .tmp folder that holds links', () => {
  it('removes it (the links as links, never what they lead to)', async () => {
    const queueDir = join(root, 'q');
    const tmp = join(queueDir, 'job_links.tmp');
    const outside = join(root, 'busy-folder');
    await mkdir(tmp, { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'today.log'), 'written to just now');
    await writeFile(join(tmp, 'audio.wav'), 'left behind');
    await symlink('.', join(tmp, 'loop'));
    await symlink(outside, join(tmp, 'logs'));
    const left = new Date(Date.now() - 3 * 3600_000);
    for (const name of ['loop', 'logs']) await lutimes(join(tmp, name), left, left);
    await utimes(join(tmp, 'audio.wav'), left, left);
    await utimes(tmp, left, left);
    const queue = createQueue({ queueDir, watch: false, tmpMaxAgeMs: 3600_000, maintenance: false });
    try {
      expect(await queue.sweepTmp()).toBe(1);
    } finally {
      await queue.close();
    }
    expect(await readdir(queueDir)).toEqual([]);
    expect(await readFile(join(outside, 'today.log'), 'utf8')).toBe('written to just now');
  });
});

describe('the sweep of an abandoned .tmp folder whose name is not UTF-8', () => {
  it('removes it like any other (it was listed as a name that opens nothing, and kept for ever)', async () => {
    const queueDir = join(root, 'q');
    // `job_café.tmp` with é as the one byte 0xE9 (Windows-1252), as a producer on an old share names it.
    const tmp = Buffer.from(join(queueDir, 'job_café.tmp'), 'latin1');
    await mkdir(tmp, { recursive: true });
    const file = Buffer.concat([tmp, Buffer.from('/audio.wav')]);
    await writeFile(file, 'left behind');
    const left = new Date(Date.now() - 3 * 3600_000);
    await utimes(file, left, left);
    await utimes(tmp, left, left);
    const queue = createQueue({ queueDir, watch: false, tmpMaxAgeMs: 3600_000, maintenance: false });
    try {
      expect(await queue.sweepTmp()).toBe(1);
    } finally {
      await queue.close();
    }
    expect(await readdir(queueDir)).toEqual([]);
  });
});
