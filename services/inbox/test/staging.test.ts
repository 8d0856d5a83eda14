import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@imk/log';
import { createInbox, loadInboxSettings } from '../src/index.ts';
import { STALE_STAGING_MS } from '../src/staging.ts';

// The inbox copies each song it takes into a private hidden folder of its own (.taking-…) and removes it
// when the take ends. A pass killed mid-copy (or a power cut) left that copy, a whole song, in the inbox
// for ever. A later pass now removes such a folder once it is older than any take lasts; a take's folder in
// use (of this or another inbox process) and the user's own hidden files are left alone.
const logger = createLogger('test', { level: 'silent' });
const roots: string[] = [];
afterAll(() => Promise.all(roots.map((dir) => rm(dir, { recursive: true, force: true }))));

describe("the inbox's private copies", () => {
  it('one left by a pass that never ended is removed by a later pass; a recent one and hidden files of the user are kept', async () => {
    const root = await mkdtemp(join(tmpdir(), 'imk-inbox-staging-'));
    roots.push(root);
    const settings = await loadInboxSettings(root, { stableChecks: 1 });
    const left = join(settings.dir, '.taking-AbC123');
    await mkdir(left, { recursive: true });
    await writeFile(join(left, 'song.mp3'), 'half a copy of a song');
    const old = (Date.now() - STALE_STAGING_MS - 60_000) / 1000;
    await utimes(left, old, old);
    const recent = join(settings.dir, '.taking-XyZ789');
    await mkdir(recent);
    await writeFile(join(recent, 'song.mp3'), 'a take going on now');
    // The user's own: hidden, and old.
    await mkdir(join(settings.dir, '.mine'));
    await utimes(join(settings.dir, '.mine'), old, old);
    await writeFile(join(settings.dir, '.taking-notes'), 'a file, not our folder');
    await utimes(join(settings.dir, '.taking-notes'), old, old);
    expect(await createInbox(settings, logger).scan()).toEqual([]);
    expect((await readdir(settings.dir)).sort()).toEqual(['.mine', '.taking-XyZ789', '.taking-notes']);
  });
});

// A take's folder's age was Date.now() minus its mtime, which the file server stamps when the inbox is on a
// share: a host a day ahead of it removed the copy of a take going on (of this or another inbox process),
// one behind kept a copy left long ago. It is now aged on the file system's own clock. This host's clock
// is moved by replacing Date.now for the scan (a stand-in for a host whose clock is off; the disk stamps
// real times, as a file server does).
describe("the inbox's private copies on a host whose clock is two days off the file system's", () => {
  const DAY = 86_400_000;
  async function scanWithClock(offsetMs: number, made: (dir: string) => Promise<void>): Promise<string[]> {
    const root = await mkdtemp(join(tmpdir(), 'imk-inbox-staging-'));
    roots.push(root);
    const settings = await loadInboxSettings(root, { stableChecks: 1 });
    await mkdir(settings.dir, { recursive: true });
    await made(settings.dir);
    const realNow = Date.now.bind(Date);
    const now = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + offsetMs);
    try {
      expect(await createInbox(settings, logger).scan()).toEqual([]);
    } finally {
      now.mockRestore();
    }
    return (await readdir(settings.dir)).sort();
  }

  it('keeps the copy of a take going on now, on a host two days ahead', async () => {
    const left = await scanWithClock(2 * DAY, async (dir) => {
      await mkdir(join(dir, '.taking-Now123'));
      await writeFile(join(dir, '.taking-Now123', 'song.mp3'), 'a take going on now');
    });
    expect(left).toEqual(['.taking-Now123']);
  });

  it('removes a copy left 25 hours ago, on a host two days behind', async () => {
    const left = await scanWithClock(-2 * DAY, async (dir) => {
      await mkdir(join(dir, '.taking-Old123'));
      await writeFile(join(dir, '.taking-Old123', 'song.mp3'), 'half a copy of a song');
      const old = (Date.now() - 25 * 3600_000) / 1000;
      await utimes(join(dir, '.taking-Old123'), old, old);
    });
    expect(left).toEqual([]);
  });
});
