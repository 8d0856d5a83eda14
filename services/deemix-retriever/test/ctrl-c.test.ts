// Ctrl-C at the terminal on `imk run deemix-retriever` while a Deezer track's embedded cover is read, past
// the grace period. The stop ended the ffmpeg reading the cover, and that was taken for a cover that cannot
// be read ("embedded cover not readable"): the track was queued without its cover and the request marked
// .done, for good. Now a stop is a stop: nothing of the request is queued, the request is put back and the
// next start queues the track once, with its cover. `imk fetch` of a Deezer link queued it without its cover
// the same way before it ended by the signal; it now publishes nothing and says so. ffmpeg is held (a wrapper that runs the real ffmpeg once
// a file is removed) so that the Ctrl-C lands while it runs; the stand-in for deemix writes the track.
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { exitOf, within } from '@imk/fs-safe/testing';
import { ctrlC, imkInOwnGroup, until } from '../../../packages/cli/test/ctrl-c-kit.ts';
import { IMK } from '../../../packages/cli/test/imk-bin.ts';
import { ARL, STAND_IN, deemixFixtures, jobOf, setup } from './deemix-kit.ts';

deemixFixtures();

/** A root whose deemix retriever has a request for one track waiting, and ffmpeg held until `release()`. */
async function rootHoldingFfmpeg() {
  const { root, settings, calls } = await setup();
  await mkdir(join(root, 'config'), { recursive: true });
  await writeFile(
    join(root, 'config', 'deemix-retriever.yaml'),
    `deemixPath: ${JSON.stringify(STAND_IN)}\npollIntervalMs: 100\ngracePeriodMs: 300\n`,
  );
  const [hold, started, wrapper] = ['hold', 'started', 'ffmpeg-held'].map((name) => join(root, name));
  await writeFile(hold!, '');
  await writeFile(
    wrapper!,
    `#!/bin/sh\ntouch "${started}"; while [ -e "${hold}" ]; do sleep 0.05; done\nexec ffmpeg "$@"\n`,
  );
  await chmod(wrapper!, 0o755);
  await mkdir(settings.requestsDir, { recursive: true });
  await writeFile(join(settings.requestsDir, 'song.deezer'), 'https://www.deezer.com/track/3135556\n');
  return {
    root,
    settings,
    calls,
    // The stand-in runs the ffmpeg on PATH; only imk's own (the cover's) is held.
    env: { IMK_FFMPEG: wrapper!, IMK_DEEMIX_ARL: ARL },
    held: () => existsSync(started!),
    release: () => rm(hold!, { force: true }),
  };
}

/** `imk run deemix-retriever` until `done()`, then Ctrl-C: its log. */
async function runUntil(root: string, env: Record<string, string>, done: () => boolean, what: string) {
  const run = imkInOwnGroup(['run', 'deemix-retriever'], root, env);
  await within(
    until(() => done() || run.exitCode !== null, 20),
    60_000,
    what,
  );
  expect(run.exitCode, 'imk ended before it was told to stop').toBeNull();
  ctrlC(run.pid!);
  const result = await exitOf(run, 'imk run deemix-retriever after Ctrl-C', 30_000);
  expect(result.exitCode, String(result.all)).toBe(0);
  return String(result.all);
}

describe('Ctrl-C on imk run deemix-retriever while a track is collected', () => {
  it('while its cover is read: nothing queued, the request put back; the next start queues the track once, with its cover', async () => {
    const where = await rootHoldingFfmpeg();
    const requests = where.settings.requestsDir;
    const queued = async () => (await readdir(where.settings.queueDir).catch(() => [])).sort();
    const log = await runUntil(where.root, where.env, where.held, 'the retriever to read the cover');
    expect(log).not.toContain('embedded cover not readable');
    expect(await queued(), log).toEqual([]);
    expect(await readdir(requests), log).toEqual(['song.deezer']);
    expect(log).toContain('the service stopped before this request was finished');
    expect(await readdir(where.settings.workDir), log).toEqual([]);
    expect((await where.calls()).length, log).toBe(1);

    // The next start, ffmpeg no longer held.
    await where.release();
    const again = await runUntil(
      where.root,
      where.env,
      () => existsSync(join(requests, 'song.done')),
      'the request to be done at the next start',
    );
    const jobs = await queued();
    expect(jobs, again).toEqual(['job_dz_QZSTD3135556']);
    const job = await jobOf(join(where.settings.queueDir, jobs[0]!));
    expect(job.cover_path, again).toBe('cover.jpg');
    expect(await readdir(where.settings.workDir), again).toEqual([]);
  }, 150_000);
});

describe('Ctrl-C on imk fetch of a Deezer link while its cover is read', () => {
  it('publishes nothing, keeps nothing, says so and ends by the signal; the same command then queues it with its cover', async () => {
    const where = await rootHoldingFfmpeg();
    const link = 'https://www.deezer.com/track/3135556';
    const fetch = () =>
      execa(IMK, ['fetch', link, '--root', where.root], {
        detached: true,
        reject: false,
        all: true,
        stdin: 'ignore',
        env: where.env,
      });
    const queued = async () => (await readdir(where.settings.queueDir).catch(() => [])).sort();
    const run = fetch();
    await within(
      until(() => where.held() || run.exitCode !== null, 20),
      60_000,
      'imk fetch to read the cover',
    );
    expect(run.exitCode, 'imk fetch ended before it read the cover').toBeNull();
    ctrlC(run.pid!);
    const result = await exitOf(run, 'imk fetch after Ctrl-C', 30_000);
    const said = String(result.all);
    expect(result.signal, said).toBe('SIGINT');
    expect(await queued(), said).toEqual([]);
    expect(await readdir(where.settings.workDir), said).toEqual([]);
    expect(said).toMatch(
      /^imk: stopped by SIGINT while fetching \S+3135556: its download was stopped and nothing half-done was kept.*\[ABORTED\]$/m,
    );
    await where.release();
    const again = await exitOf(fetch(), 'imk fetch', 60_000);
    expect(again.exitCode, String(again.all)).toBe(0);
    expect(await queued(), String(again.all)).toEqual(['job_dz_QZSTD3135556']);
    const job = await jobOf(join(where.settings.queueDir, 'job_dz_QZSTD3135556'));
    expect(job.cover_path, String(again.all)).toBe('cover.jpg');
  }, 150_000);
});
