import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { probeMedia } from '@imk/media';
import { JobSchema, readBundle } from '@imk/protocol';
import { within } from '@imk/fs-safe/testing';
import { fetchDeezer, loadDeemixSettings, startDeemixRetriever, type DeemixConfig } from '../src/index.ts';

// deemix needs Deezer (no network here): these tests run an executable stand-in that checks deemix's
// arguments and ARL file and writes what deemix writes (tagged files with embedded covers).
const STAND_IN = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'deemix-stand-in.mjs');
const ARL = 'a1b2c3d4e5f6'.repeat(16);
const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((dir) => rm(dir, { recursive: true, force: true })));
});

function capturingLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('test', { level: 'debug', destination }), lines };
}

async function setup(overrides: Partial<DeemixConfig> = {}) {
  const root = await mkdtemp(join(tmpdir(), 'imk-dz-'));
  roots.push(root);
  const settings = await loadDeemixSettings(root, { deemixPath: STAND_IN, ...overrides });
  const standInLog = join(root, 'stand-in.log');
  const env = { IMK_DEEMIX_ARL: ARL };
  process.env.STAND_IN_VALID_ARL = ARL;
  process.env.STAND_IN_LOG = standInLog;
  const calls = async () =>
    (await readFile(standInLog, 'utf8'))
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as { argv: string[]; arlFilePresent: boolean; arlFileMode: string; stdin: string },
      );
  return { root, settings, env, calls };
}

async function jobOf(dir: string) {
  return JobSchema.parse(JSON.parse(await readFile(join(dir, 'job.json'), 'utf8')));
}

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

  it('says what to do when no ARL is configured, without running deemix', async () => {
    const { root, settings } = await setup();
    const { logger } = capturingLogger();
    const error = await fetchDeezer('https://www.deezer.com/track/1', {
      root,
      logger,
      settings,
      env: {},
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DEEMIX_ARL_MISSING' });
    expect((error as Error).message).toMatch(/IMK_DEEMIX_ARL/);
  });

  it("reports a refused ARL clearly instead of hanging at deemix's prompt", async () => {
    const { root, settings, calls } = await setup();
    const { logger, lines } = capturingLogger();
    const error = await fetchDeezer('https://www.deezer.com/track/1', {
      root,
      logger,
      settings,
      env: { DEEZER_ARL: 'ffff0000' },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DEEMIX_ARL_REFUSED' });
    expect((error as Error).message).toMatch(/copy the "arl" cookie again/);
    // Not timed: deemix's own words say its prompt read the end of its input at once (EOFError), and it was
    // refused, not stopped at timeoutMs (30 min, DEEMIX_TIMEOUT); nothing was left to answer the prompt.
    expect((error as Error).message).toMatch(/EOFError/);
    expect((await calls())[0]?.stdin).not.toBe('pipe');
    expect(lines.join('')).not.toContain('ffff0000');
  });

  it('reads the ARL from a secret file', async () => {
    const { root, settings } = await setup();
    const file = join(root, 'deezer.arl');
    await writeFile(file, `${ARL}\n`, { mode: 0o600 });
    const { logger } = capturingLogger();
    const result = await fetchDeezer('https://www.deezer.com/track/77', {
      root,
      logger,
      settings: { ...settings, arlFile: file },
      env: {},
    });
    expect(result.jobs).toHaveLength(1);
  });

  it('explains links it cannot take, and a track Deezer does not have', async () => {
    const { root, settings, env } = await setup();
    const { logger } = capturingLogger();
    await expect(
      fetchDeezer('https://www.deezer.com/artist/27', { root, logger, settings, env }),
    ).rejects.toMatchObject({
      code: 'UNSUPPORTED_URL',
      message: expect.stringMatching(/not a track, album or playlist/),
    });
    await expect(
      fetchDeezer('https://www.youtube.com/watch?v=x', { root, logger, settings, env }),
    ).rejects.toMatchObject({
      code: 'UNSUPPORTED_URL',
    });
    await expect(
      fetchDeezer('https://www.deezer.com/track/404', { root, logger, settings, env }),
    ).rejects.toMatchObject({
      code: 'DEEZER_UNAVAILABLE',
    });
  });

  it('an album deemix downloaded only in part (a track it says is not available, exit code 0) is a failure naming that track; the tracks that came are queued', async () => {
    const { root, settings, env } = await setup({ bitrate: '128' });
    const { logger } = capturingLogger();
    const result = await fetchDeezer('https://www.deezer.com/fr/album/555?utm_source=deezer', {
      root,
      logger,
      settings,
      env,
    });
    expect(result.jobs.map((job) => job.title)).toEqual(['Song 1']);
    expect(result.failures).toEqual([
      {
        code: 'DEEZER_UNAVAILABLE',
        message: expect.stringMatching(
          /^deemix did not download everything of https:\/\/www\.deezer\.com\/album\/555; it said: .*Song 2 :: Track not available on Deezer!$/,
        ) as unknown,
      },
    ]);
  });

  it('a track the account may not stream at the bitrate asked for is said as that, with the setting that fixes it; at 128 it comes', async () => {
    const { root, settings, env } = await setup({ bitrate: 'flac' });
    const { logger } = capturingLogger();
    // Before: DEEMIX_NOTHING, "downloaded nothing … check that it plays", which it does in the browser.
    await expect(
      fetchDeezer('https://www.deezer.com/track/403', { root, logger, settings, env }),
    ).rejects.toMatchObject({
      code: 'DEEZER_BITRATE',
      message: expect.stringMatching(
        /^Deezer does not give https:\/\/www\.deezer\.com\/track\/403 at bitrate flac to the account of your ARL .*set bitrate: 320 or 128 in config\/deemix-retriever\.yaml/,
      ) as unknown,
    });
    const at128 = await loadDeemixSettings(root, { deemixPath: settings.deemixPath, bitrate: '128' });
    const result = await fetchDeezer('https://www.deezer.com/track/403', {
      root,
      logger,
      settings: at128,
      env,
    });
    expect(result.jobs.map((job) => job.jobId)).toEqual(['dz_QZSTD0000403']);
  });

  it('tracks of an album deemix could not have for any of its reasons (bitrate, country, not encoded, disk full) are each a failure with its code; none is taken for downloaded', async () => {
    const { root, settings, env } = await setup({ bitrate: 'flac' });
    const { logger } = capturingLogger();
    const result = await fetchDeezer('https://www.deezer.com/album/666', { root, logger, settings, env });
    expect(result.jobs.map((job) => job.title)).toEqual(['Song 1']);
    // Before: no failure at all (the request was .done, three songs of four missing, and imk fetch exited 0).
    expect(result.failures.map((failure) => [failure.code, failure.message.replace(/^.*:: /, '')])).toEqual([
      ['DEEZER_BITRATE', "Your account can't stream the track at the desired bitrate."],
      ['DEEZER_UNAVAILABLE', "Your account can't stream the track from your current country."],
      ['DEEZER_UNAVAILABLE', 'Track not yet encoded!'],
      ['DEEMIX_DISK_FULL', 'No space left on target drive, clean up some space for the tracks'],
    ]);
  });

  it('says a track, album or playlist link whose id is cut or mistyped is that, not "not a track", without running deemix', async () => {
    const { root, settings, env } = await setup();
    const { logger } = capturingLogger();
    for (const [link, said] of [
      [
        'https://www.deezer.com/track/31355x6',
        'a Deezer track link that has "31355x6" where its id (a number) goes',
      ],
      ['https://www.deezer.com/fr/album/', 'a Deezer album link that has no id (the number after /album/)'],
      [
        'https://www.deezer.com/playlist/abc?utm_source=x',
        'a Deezer playlist link that has "abc" where its id',
      ],
    ] as const)
      await expect(fetchDeezer(link, { root, logger, settings, env })).rejects.toMatchObject({
        code: 'UNSUPPORTED_URL',
        message: expect.stringContaining(said) as unknown,
      });
    await expect(readFile(join(root, 'stand-in.log'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a deemix run that exits 0 having written nothing says so, naming the link and what to check', async () => {
    const { root, settings, env } = await setup();
    const { logger } = capturingLogger();
    await expect(
      fetchDeezer('https://www.deezer.com/track/204', { root, logger, settings, env }),
    ).rejects.toMatchObject({
      code: 'DEEMIX_NOTHING',
      message: expect.stringMatching(
        /^deemix finished but downloaded nothing for https:\/\/www\.deezer\.com\/track\/204 \(deemix said: Requesting track 204\.\.\.\); open the link on deezer\.com and check that it plays/,
      ) as unknown,
    });
    expect(await readdir(join(root, 'queues')).catch(() => [])).toEqual([]);
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

describe('deemix missing, for a user who may never send a Deezer link', () => {
  it('is not an error line at every start; a Deezer request then fails saying deemix is missing and where to set it', async () => {
    const { root } = await setup();
    process.env.IMK_DEEMIX_ARL = ARL;
    const requests = join(root, 'requests', 'deezer');
    const controller = new AbortController();
    const { logger, lines } = capturingLogger();
    const missing = join(root, 'no-such-deemix');
    // The folder is there before the start, so nothing at the start can be about it.
    await mkdir(requests, { recursive: true });
    const running = startDeemixRetriever({
      root,
      logger,
      signal: controller.signal,
      overrides: { deemixPath: missing, pollIntervalMs: 100 },
    });
    try {
      // A first look at the (empty) requests folder has passed: the start is over.
      await new Promise((resolve) => setTimeout(resolve, 400));
      const loud = () =>
        lines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((l) => l.level >= 40);
      expect(loud()).toEqual([]);
      await writeFile(join(requests, 'song.deezer'), 'https://www.deezer.com/track/555\n');
      await waitFor(
        'song.fail.reason in requests/deezer',
        async () => (await readdir(requests)).includes('song.fail.reason'),
        async () => `requests/deezer holds: ${(await readdir(requests)).join(', ') || 'nothing'}`,
      );
      const reason = await readFile(join(requests, 'song.fail.reason'), 'utf8');
      expect(reason).toContain('deemix');
      expect(reason).toContain('deemixPath');
      expect(loud().length).toBeGreaterThan(0);
    } finally {
      controller.abort();
      await within(running, 60_000, 'the deemix retriever to stop once its signal was aborted');
      delete process.env.IMK_DEEMIX_ARL;
    }
  });
});

/** Waits until `check` holds; after `timeoutMs` fails naming `what` it awaited and what was `seen` instead. */
async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  seen: () => Promise<string>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${await seen()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
