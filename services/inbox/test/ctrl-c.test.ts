// Ctrl-C at the terminal on `imk run inbox` while a dropped song is taken. The stop ended the take's tools,
// and the take went on as if they had failed of themselves: a cover whose extraction the stop ended was
// "not readable", the song was queued without it and its original moved to .processed/ for good. Now the
// take under way decides nothing once the stop came: the song stays in the inbox as it was, nothing of it is
// queued or set aside, and the next start queues it once, whole. Each tool is held (a wrapper that runs the
// real ffmpeg or ffprobe once a file is removed) so that the Ctrl-C lands while it runs.
import { existsSync, readdirSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitOf, within } from '@imk/fs-safe/testing';
import { ctrlC, imkInOwnGroup, until } from '../../../packages/cli/test/ctrl-c-kit.ts';
import { inboxFixtures, jobIn, media, setup } from './inbox-kit.ts';

inboxFixtures();

/** A root with `song.mp3` (tags and a cover) dropped into its inbox, and `tool` held until `release()`. */
async function rootHolding(tool: 'ffmpeg' | 'ffprobe') {
  const { root, settings } = await setup();
  await mkdir(join(root, 'config'), { recursive: true });
  await writeFile(join(root, 'config', 'inbox.yaml'), 'pollIntervalMs: 100\n');
  const [hold, started, wrapper] = ['hold', 'started', `${tool}-held`].map((name) => join(root, name));
  await writeFile(hold!, '');
  await writeFile(
    wrapper!,
    `#!/bin/sh\ntouch "${started}"; while [ -e "${hold}" ]; do sleep 0.05; done\nexec ${tool} "$@"\n`,
  );
  await chmod(wrapper!, 0o755);
  await copyFile(join(media, 'tagged.mp3'), join(settings.dir, 'song.mp3'));
  const env = { [tool === 'ffmpeg' ? 'IMK_FFMPEG' : 'IMK_FFPROBE']: wrapper! };
  return {
    root,
    inbox: settings.dir,
    queue: settings.queueDir,
    env,
    held: () => existsSync(started!),
    release: () => rm(hold!, { force: true }),
  };
}

const jobsIn = async (queue: string) =>
  (await readdir(queue).catch(() => [])).filter((n) => n.startsWith('job_'));

/** `imk run inbox` until `done()`, then Ctrl-C: its log. */
async function runInboxUntil(root: string, env: Record<string, string>, done: () => boolean, what: string) {
  const run = imkInOwnGroup(['run', 'inbox'], root, env);
  await within(
    until(() => done() || run.exitCode !== null, 20),
    60_000,
    what,
  );
  ctrlC(run.pid!);
  const result = await exitOf(run, 'imk run inbox after Ctrl-C', 30_000);
  expect(result.exitCode, String(result.all)).toBe(0);
  return String(result.all);
}

/** What a user sees once the stop ended the take: the song where it was dropped, nothing queued or set aside. */
async function expectLeftAsItWas(where: Awaited<ReturnType<typeof rootHolding>>, log: string) {
  const names = await readdir(where.inbox);
  expect(names, log).toContain('song.mp3');
  expect(
    names.filter((name) => name.startsWith('.taking-')),
    log,
  ).toEqual([]);
  expect(existsSync(join(where.inbox, '.processed', 'song.mp3')), log).toBe(false);
  expect(existsSync(join(where.inbox, '.rejected')), log).toBe(false);
  expect(await readdir(where.queue).catch(() => []), log).toEqual([]);
  expect(log).not.toContain('queued without it');
  expect(log).toContain('it stays in the inbox as it was and is taken at the next start');
}

describe('Ctrl-C on imk run inbox while a dropped song is taken', () => {
  it('while its cover is read: the song stays in the inbox, and the next start queues it once, with its cover', async () => {
    const where = await rootHolding('ffmpeg');
    const log = await runInboxUntil(where.root, where.env, where.held, 'the take to read the cover');
    await expectLeftAsItWas(where, log);
    // The next start, the tool no longer held.
    await where.release();
    const again = await runInboxUntil(
      where.root,
      where.env,
      () => existsSync(join(where.inbox, '.processed', 'song.mp3')),
      'the song to be queued at the next start',
    );
    const jobs = await jobsIn(where.queue);
    expect(jobs, again).toHaveLength(1);
    const job = await jobIn(join(where.queue, jobs[0]!));
    expect(job.cover_path, again).toBe('cover.jpg');
    expect(
      readdirSync(where.inbox).filter((name) => !name.startsWith('.')),
      again,
    ).toEqual([]);
  }, 150_000);

  it('while ffprobe reads it: the song stays in the inbox, nothing set aside as unreadable', async () => {
    const where = await rootHolding('ffprobe');
    const log = await runInboxUntil(where.root, where.env, where.held, 'the take to probe the song');
    await expectLeftAsItWas(where, log);
  }, 150_000);
});
