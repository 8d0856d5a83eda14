import { cp, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { sha256File } from '@imk/fs-safe';
import { createLogger, type Logger } from '@imk/log';
import { ffmpeg } from '@imk/media/testing';
import type { Artifact } from '@imk/protocol';
import { minimalManifest } from '@imk/protocol/testing';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { listenWeb, type RunningWeb } from '../src/index.ts';

export const quietLogger = (): Logger =>
  createLogger('test', { destination: new Writable({ write: (_c, _e, done) => done() }), level: 'warn' });

export async function tempRoot(prefix = 'imk-web-'): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/**
 * A short "song" made by ffmpeg: a chord panned apart, a bass line and noise bursts on every beat (so each
 * stem has something in it), in the container the extension names.
 */
export async function makeSong(file: string, seconds = 8): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const chord = '0.18*sin(2*PI*220*t)+0.12*sin(2*PI*277.2*t)+0.1*sin(2*PI*329.6*t)';
  const bass = '0.25*sin(2*PI*(55+27.5*(mod(floor(t*2),2)))*t)';
  const beat = '0.45*(random(0)*2-1)*exp(-25*mod(t,0.5))';
  const voice = '0.15*sin(2*PI*(440+30*sin(2*PI*5*t))*t)*(0.6+0.4*sin(2*PI*0.5*t))';
  await ffmpeg(
    '-f',
    'lavfi',
    '-i',
    `aevalsrc=exprs='${chord}*0.8+${bass}+${beat}+${voice}|${chord}*1.2+${bass}+${beat}*0.9+${voice}':s=44100:d=${seconds}`,
    ...(file.endsWith('.m4a') ? ['-c:a', 'aac', '-b:a', '160k'] : []),
    file,
  );
}

/** A short real audio file made by ffmpeg (sine tones), in the given container by extension. */
export async function makeAudio(file: string, seconds = 3, frequency = 440): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await ffmpeg(
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${frequency}:duration=${seconds}:sample_rate=44100`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${frequency * 1.5}:duration=${seconds}:sample_rate=44100`,
    '-filter_complex',
    '[0:a][1:a]join=inputs=2:channel_layout=stereo[a]',
    '-map',
    '[a]',
    ...(file.endsWith('.m4a') ? ['-c:a', 'aac', '-b:a', '128k'] : []),
    file,
  );
}

/** Publishes a finished job's outputs the way the worker does: files, then manifest.json (v1, valid). */
export async function makeOutput(
  root: string,
  jobId: string,
  names = { artist: 'Test Artist', title: 'Sine Song' },
  engine: { name: string; version: string; params: Record<string, unknown> } = {
    name: 'builtin',
    version: '1',
    params: {},
  },
): Promise<string> {
  const dir = join(root, 'outputs', jobId);
  const variants = [
    { variant: 'instrumental', label: 'Instrumental', suffix: '' },
    { variant: 'no_drums', label: 'Instrumental (no drum)', suffix: ' (no drum)' },
  ];
  const artifacts: Artifact[] = [];
  for (const [i, v] of variants.entries()) {
    const path = `files/audio/${names.artist} - ${names.title}${v.suffix}.m4a`;
    await makeAudio(join(dir, path), 3, 330 + i * 110);
    artifacts.push({
      kind: 'audio',
      variant: v.variant,
      label: v.label,
      path,
      codec: 'aac',
      container: 'm4a',
      duration_sec: 3,
      sha256: await sha256File(join(dir, path)),
      bytes: (await stat(join(dir, path))).size,
      sample_rate: 44100,
      channels: 2,
    });
  }
  const manifest = minimalManifest(jobId, {
    artist: names.artist,
    album: 'Tests',
    title: names.title,
    processed_at: new Date().toISOString(),
    artifacts,
    input: { sha256: 'a'.repeat(64), duration_sec: 3 },
    engine,
    timings_sec: { decode: 0.1 },
  });
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return dir;
}

/** A job archived as failed by the queue, with its error file. */
export async function makeFailedJob(root: string, jobId: string, queue = 'other'): Promise<string> {
  const dir = join(root, 'queues', queue, 'failed', `job_${jobId}@w1.abc`);
  await makeAudio(join(dir, 'audio.wav'), 1);
  await writeFile(
    join(dir, 'job.json'),
    JSON.stringify({
      job_id: jobId,
      source_type: 'local',
      artist: 'A',
      title: 'Broken',
      audio_path: 'audio.wav',
    }),
  );
  await writeFile(join(dir, 'imk-state.json'), JSON.stringify({ attempts: 3 }));
  await writeFile(
    join(dir, 'imk-error.json'),
    JSON.stringify({ stage: 'decode', message: 'audio.wav could not be decoded', attempt: 3 }),
  );
  return dir;
}

/** The engine facts an mdx job's manifest records (as packages/separation's mdx engine writes them). */
export const MDX_ENGINE = {
  name: 'mdx',
  version: '1',
  params: {
    model: 'UVR-MDX-NET-Inst_HQ_3.onnx',
    model_hash: '55657dd70583b0fedfba5f67df11d711',
    n_fft: 6144,
    dim_f: 3072,
    dim_t: 256,
    compensate: 1.022,
    primary_stem: 'Instrumental',
    overlap: 'default',
    denoise: false,
  },
};

/**
 * Debian's headless Chromium (through playwright-core) with a profile of its own in a temp folder: its
 * context, its first page, and `close()`, which closes the browser and removes the profile.
 */
export async function openChromium(
  prefix: string,
): Promise<{ context: BrowserContext; page: Page; close: () => Promise<void> }> {
  // Loaded here, not with this file: the web tests that use no browser do not pay for importing it.
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(join(tmpdir(), prefix));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--mute-audio'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A temp root served by the dashboard (listenWeb on a free port, no token) for the tests of a file: made
 * before them, stopped and removed after. `served.root` and `served.web` once the tests run.
 */
export function servedTempRoot(): { readonly root: string; readonly web: RunningWeb } {
  const stop = new AbortController();
  const served = { root: '', web: undefined as unknown as RunningWeb };
  let cleanup: () => Promise<void> = () => Promise.resolve();
  beforeAll(async () => {
    ({ root: served.root, cleanup } = await tempRoot());
    served.web = await listenWeb({
      root: served.root,
      logger: quietLogger(),
      signal: stop.signal,
      overrides: { port: 0 },
    });
  });
  afterAll(async () => {
    stop.abort();
    await served.web?.closed;
    await cleanup();
  });
  return served;
}

/**
 * A temp root for each test, served by the dashboard once the test has made its fixtures in it (a root
 * that must hold them before the dashboard's first look: servedTempRoot starts it before the tests).
 * `late.root` in the test; `await late.serve()` after the fixtures starts the dashboard (listenWeb on a
 * free port, no token); after each test it is stopped and the root removed.
 */
export function tempRootServedLater(): { readonly root: string; serve: () => Promise<RunningWeb> } {
  let stop = new AbortController();
  let web: RunningWeb | undefined;
  let cleanup: () => Promise<void> = () => Promise.resolve();
  const late = {
    root: '',
    serve: async (): Promise<RunningWeb> => {
      web = await listenWeb({
        root: late.root,
        logger: quietLogger(),
        signal: stop.signal,
        overrides: { port: 0 },
      });
      return web;
    },
  };
  beforeEach(async () => {
    stop = new AbortController();
    ({ root: late.root, cleanup } = await tempRoot());
  });
  afterEach(async () => {
    stop.abort();
    await web?.closed;
    web = undefined;
    await cleanup();
  });
  return late;
}

/**
 * A published job (makeOutput) whose stems this host lacks but whose song is archived, as the worker
 * archives it (`queues/youtube_audio/succeeded/job_<id>/`): a mix of it makes the worker separate it again.
 */
export async function makeArchivedOutput(root: string, id: string): Promise<void> {
  await makeOutput(root, id);
  const archived = join(root, 'queues', 'youtube_audio', 'succeeded', `job_${id}`);
  await mkdir(archived, { recursive: true });
  await cp(
    join(root, 'outputs', id, 'files', 'audio', 'Test Artist - Sine Song.m4a'),
    join(archived, 'song.m4a'),
  );
  await writeFile(
    join(archived, 'job.json'),
    JSON.stringify({ job_id: id, source_type: 'local', title: 'Sine Song', audio_path: 'song.m4a' }),
  );
}
