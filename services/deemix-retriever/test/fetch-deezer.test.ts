import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeMedia } from '@imk/media';
import { readBundle } from '@imk/protocol';
import { within } from '@imk/fs-safe/testing';
import { fetchDeezer, startDeemixRetriever } from '../src/index.ts';
import { ARL, STAND_IN, capturingLogger, deemixFixtures, jobOf, setup, waitFor } from './deemix-kit.ts';

deemixFixtures();

describe('fetchDeezer (deemix stand-in)', () => {
  it('downloads a track: ARL written for deemix, -b and -p given, stdin closed, tags and cover read from the file', async () => {
    const { root, settings, env, calls } = await setup({ bitrate: '320' });
    const { logger, lines } = capturingLogger();
    const result = await fetchDeezer('https://www.deezer.com/en/track/3135556?utm_source=share', {
      root,
      logger,
      settings,
      env,
    });
    expect(result.jobs.map((job) => `${job.queue}/${job.jobId}`)).toEqual(['other/dz_QZSTD3135556']);

    const [call] = await calls();
    expect(call!.argv.slice(0, 2)).toEqual(['-b', '320']);
    expect(call!.argv[2]).toBe('-p');
    expect(call!.argv[4]).toBe('https://www.deezer.com/track/3135556');
    expect(call).toMatchObject({ arlFilePresent: true, arlFileMode: '600' });
    expect(call!.stdin).not.toBe('pipe'); // nothing could ever answer a prompt
    expect(await readFile(join(settings.configHome, 'deemix', '.arl'), 'utf8')).toBe(ARL);
    expect(lines.join('')).not.toContain(ARL);

    const dir = result.jobs[0]!.dir;
    expect(await readBundle(dir)).toMatchObject({ ok: true });
    const job = await jobOf(dir);
    expect(job).toMatchObject({
      source_type: 'deemix',
      artist: 'Stand-In Artist',
      album: 'Single 3135556',
      title: 'Track 3135556',
      audio_path: 'audio.mp3',
      cover_path: 'cover.jpg',
      deezer: { kind: 'track', id: '3135556', isrc: 'QZSTD3135556', bitrate: '320' },
    });
    const cover = await readFile(join(dir, 'cover.jpg'));
    expect([...cover.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    expect((await probeMedia(join(dir, 'audio.mp3'))).audio?.codec).toBe('mp3');
    // the download folder is cleaned up
    expect(await readdir(settings.workDir)).toEqual([]);
  });

  it('makes one bundle per track of an album, at FLAC', async () => {
    const { root, settings, env, calls } = await setup({ bitrate: 'flac' });
    const { logger } = capturingLogger();
    const result = await fetchDeezer('https://www.deezer.com/album/302127', { root, logger, settings, env });
    expect(result.jobs.map((job) => job.title)).toEqual(['Song 1', 'Song 2']);
    expect((await calls())[0]!.argv.slice(0, 2)).toEqual(['-b', 'flac']);
    const job = await jobOf(result.jobs[1]!.dir);
    expect(job).toMatchObject({
      album: 'Album 302127',
      audio_path: 'audio.flac',
      deezer: { track_number: '2' },
    });
    expect((await probeMedia(join(result.jobs[1]!.dir, 'audio.flac'))).audio?.codec).toBe('flac');
  });

  it('two tracks of one album with the same title and no ISRC are two jobs, neither skipped', async () => {
    const { root, settings, env } = await setup({ bitrate: '128' });
    const { logger } = capturingLogger();
    const result = await fetchDeezer('https://www.deezer.com/album/777', { root, logger, settings, env });
    expect(result.skipped).toEqual([]);
    expect(result.jobs.map((job) => job.title)).toEqual(['Interlude', 'Interlude']);
    expect(new Set(result.jobs.map((job) => job.jobId)).size).toBe(2);
    const numbers = await Promise.all(result.jobs.map(async (job) => (await jobOf(job.dir)).deezer));
    expect(numbers).toMatchObject([{ track_number: '1' }, { track_number: '2' }]);
    // Fetched again, each is found as itself.
    const again = await fetchDeezer('https://www.deezer.com/album/777', { root, logger, settings, env });
    expect(again.jobs).toEqual([]);
    expect(again.skipped.map((skip) => skip.id)).toEqual(result.jobs.map((job) => job.jobId));
  });

  it('makes one bundle per track of a playlist; a second fetch publishes nothing new', async () => {
    const { root, settings, env } = await setup({ bitrate: '128' });
    const { logger } = capturingLogger();
    const first = await fetchDeezer('https://www.deezer.com/playlist/908622995', {
      root,
      logger,
      settings,
      env,
    });
    expect(first.jobs.map((job) => (job.title ?? '') + '/' + job.jobId)).toEqual([
      'Hit 1/dz_QZSTP2299501',
      'Hit 2/dz_QZSTP2299502',
    ]);
    const second = await fetchDeezer('https://www.deezer.com/playlist/908622995', {
      root,
      logger,
      settings,
      env,
    });
    expect(second.jobs).toEqual([]);
    expect(second.skipped.map((skip) => skip.id)).toEqual(['dz_QZSTP2299501', 'dz_QZSTP2299502']);
    // The reason says where the first one is, not a bare "already in the queue".
    expect(second.skipped[0]!.reason).toMatch(
      /^job dz_QZSTP2299501 is already queued and waits for a worker: \//,
    );
  });

  it('reports a track another request is publishing this moment as skipped, not failed', async () => {
    const { root, settings, env } = await setup({ bitrate: '128' });
    const { logger } = capturingLogger();
    // The other request's bundle of the first track, being written by a live process (this test's parent).
    const tmp = join(settings.queueDir, 'job_dz_QZSTP2299501.tmp');
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, 'imk-producer.json'), JSON.stringify({ host: hostname(), pid: process.ppid }));
    const result = await fetchDeezer('https://www.deezer.com/playlist/908622995', {
      root,
      logger,
      settings,
      env,
    });
    expect(result.failures).toEqual([]);
    expect(result.jobs.map((job) => job.jobId)).toEqual(['dz_QZSTP2299502']);
    expect(result.skipped).toEqual([
      { id: 'dz_QZSTP2299501', reason: expect.stringContaining('is already being published by process') },
    ]);
  });

  it('handles .deezer request files: .done with the job ids, .fail with the reason beside it', async () => {
    const { root, env } = await setup();
    Object.assign(process.env, env);
    const requests = join(root, 'requests', 'deezer');
    const controller = new AbortController();
    const { logger } = capturingLogger();
    const running = startDeemixRetriever({
      root,
      logger,
      signal: controller.signal,
      overrides: { deemixPath: STAND_IN, pollIntervalMs: 100 },
    });
    try {
      await mkdir(requests, { recursive: true });
      await writeFile(join(requests, 'good.deezer'), 'https://www.deezer.com/track/555\n');
      await writeFile(join(requests, 'bad.deezer'), 'https://www.deezer.com/track/404\n');
      await waitFor(
        'good.done and bad.fail.reason in requests/deezer',
        async () => {
          const names = await readdir(requests);
          return names.includes('good.done') && names.includes('bad.fail.reason');
        },
        async () => `requests/deezer holds: ${(await readdir(requests)).join(', ') || 'nothing'}`,
      );
      expect(await readFile(join(requests, 'good.done'), 'utf8')).toMatch(/# job dz_QZSTD0000555 -> other/);
      expect(await readFile(join(requests, 'bad.fail.reason'), 'utf8')).toMatch(/DEEZER_UNAVAILABLE/);
      expect((await stat(join(requests, 'bad.fail'))).isFile()).toBe(true);
    } finally {
      controller.abort();
      await within(running, 60_000, 'the deemix retriever to stop once its signal was aborted');
      delete process.env.IMK_DEEMIX_ARL;
    }
  });
});
