import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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
