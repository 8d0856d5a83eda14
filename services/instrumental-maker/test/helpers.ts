import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { stringify } from 'yaml';
import { exitOf } from '@imk/fs-safe/testing';
import { publishBundle } from '@imk/fsqueue';
import { probeMedia } from '@imk/media';
import { openLedger, type JobDetail } from '@imk/ledger';
import { ManifestSchema, type Manifest } from '@imk/protocol';
import { bundledScript } from '../../../packages/cli/test/bundle/scripts.ts';
import { IMK, IMK_SOURCE } from '../../../packages/cli/test/imk-bin.ts';

/** `imk` for a test's processes; IMK_SOURCE for a worker that imports the counting engine (TypeScript). */
export { IMK, IMK_SOURCE };

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const COUNTING_ENGINE = fileURLToPath(new URL('./fixtures/counting-engine.ts', import.meta.url));
/**
 * The counting engine for a config that only worker processes load: its copy in the test bundle, which
 * `IMK` (the bundled imk) imports without tsx; without the bundle, COUNTING_ENGINE (IMK is then bin/imk.js).
 * A config this test process also runs (imkInProcess) names COUNTING_ENGINE, and its processes take
 * `tsEngine: true`.
 */
export const PROCESS_COUNTING_ENGINE = bundledScript(COUNTING_ENGINE) ?? COUNTING_ENGINE;

/** The counting engine's call log in a root made by makeRoot (one line per separation). */
export const engineCalls = (root: string): string => join(root, 'engine-calls.txt');

/** A fresh root with config/instrumental-maker.yaml; `config` may be built from the root's path. */
export async function makeRoot(
  config: Record<string, unknown> | ((root: string) => Record<string, unknown>),
): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'imk-worker-'));
  await mkdir(join(root, 'config'), { recursive: true });
  const settings = typeof config === 'function' ? config(root) : config;
  await writeFile(join(root, 'config', 'instrumental-maker.yaml'), stringify(settings));
  // The disk guard must not pause a test because the CI disk is small.
  await writeFile(join(root, 'config', 'operations.yaml'), stringify({ diskGuard: { enabled: false } }));
  return root;
}

export async function removeRoot(root: string | undefined): Promise<void> {
  if (root) await rm(root, { recursive: true, force: true });
}

/**
 * A short stereo test song made by ffmpeg: a bass line, a chord, a centred "voice" (vibrato tone) and
 * noise bursts as drums. `seed` changes the pitches so that songs differ (and hash differently).
 */
export async function makeSong(
  file: string,
  seconds: number,
  seed = 0,
  codec: 'aac' | 'flac' | 'mp3' = 'aac',
  /** The drums' noise seed; without it the noise differs on every call (so two songs are never one). */
  noiseSeed?: number,
): Promise<void> {
  const f = (hz: number) => Math.round(hz * (1 + seed * 0.07));
  const sources = [
    `sine=frequency=${f(55)}:duration=${seconds}`,
    `sine=frequency=${f(220)}:duration=${seconds}`,
    `sine=frequency=${f(277)}:duration=${seconds}`,
    `aevalsrc=0.3*sin(2*PI*${f(440)}*t+3*sin(2*PI*5*t)):d=${seconds}`,
    `anoisesrc=d=${seconds}:a=0.4:c=white${noiseSeed === undefined ? '' : `:seed=${noiseSeed}`}`,
  ];
  const graph =
    "[4]volume=eval=frame:volume='if(lt(mod(t,0.5),0.06),1,0)'[drums];" +
    '[0][1][2]amix=inputs=3:normalize=0,volume=0.25[bed];' +
    '[bed]pan=stereo|c0=c0|c1=0.6*c0[bedst];[3]pan=stereo|c0=c0|c1=c0[voice];' +
    '[drums]pan=stereo|c0=0.7*c0|c1=c0[drumsst];' +
    '[bedst][voice][drumsst]amix=inputs=3:normalize=0,volume=0.6[out]';
  const args = ['-v', 'error', '-y'];
  for (const source of sources) args.push('-f', 'lavfi', '-i', source);
  const codecArgs =
    codec === 'aac'
      ? ['-c:a', 'aac', '-b:a', '160k']
      : codec === 'mp3'
        ? ['-c:a', 'libmp3lame']
        : ['-c:a', 'flac'];
  await execa('ffmpeg', [
    ...args,
    '-filter_complex',
    graph,
    '-map',
    '[out]',
    '-ar',
    '44100',
    ...codecArgs,
    file,
  ]);
}

/** A short h264 video with the song as its sound. */
export async function makeVideo(file: string, song: string, seconds: number): Promise<void> {
  await execa('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=160x120:rate=15:duration=${seconds}`,
    '-i',
    song,
    '-map',
    '0:v',
    '-map',
    '1:a',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-shortest',
    file,
  ]);
}

/** A one-colour PNG picture (red, 64×64 unless told: another colour or size tells another picture apart). */
export async function makeCover(file: string, look = { color: 'red', size: 64 }): Promise<void> {
  await execa('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `color=c=${look.color}:size=${look.size}x${look.size}`,
    '-frames:v',
    '1',
    file,
  ]);
}

/** Publishes a v1 bundle (sha256 and sizes declared) through fsqueue. */
export async function publishV1(
  root: string,
  queue: string,
  job: Record<string, unknown> & { job_id: string },
  files: Record<string, string>,
): Promise<void> {
  await publishBundle({
    queueDir: join(root, 'queues', queue),
    job,
    files: Object.entries(files).map(([name, source]) => ({ name, source })),
  });
}

/**
 * A fresh root whose worker (this config) has separated one 2-second song, job `song` (A – Song), in a
 * real `imk run --once`: where the tests of mixes added to a finished job start.
 */
export async function rootWithSeparatedSong(config: Record<string, unknown>): Promise<string> {
  const root = await makeRoot(config);
  await makeSong(join(root, 'song.m4a'), 2, 1);
  await publishV1(
    root,
    'other',
    { job_id: 'song', source_type: 'local', artist: 'A', title: 'Song', audio_path: 'song.m4a' },
    { 'song.m4a': join(root, 'song.m4a') },
  );
  const result = await imk(['run', '--once', '--root', root]);
  const summary = JSON.parse(String(result.stdout || '{}')) as { succeeded?: number };
  if (summary.succeeded !== 1) throw new Error(`the song was not separated:\n${String(result.all)}`);
  return root;
}

/** Publishes a bundle exactly as the earlier Python retrievers did: legacy job.json, `.tmp` folder, one rename. */
export async function publishLegacy(
  root: string,
  queue: string,
  job: Record<string, unknown> & { job_id: string },
  files: Record<string, string | Buffer>,
): Promise<void> {
  const queueDir = join(root, 'queues', queue);
  const tmp = join(queueDir, `job_${job.job_id}.tmp`);
  await mkdir(tmp, { recursive: true });
  for (const [name, content] of Object.entries(files))
    await writeFile(join(tmp, name), typeof content === 'string' ? await readFile(content) : content);
  await writeFile(join(tmp, 'job.json'), JSON.stringify(job, null, 2));
  await rename(tmp, join(queueDir, `job_${job.job_id}`));
}

export async function readManifest(root: string, jobId: string): Promise<Manifest> {
  const text = await readFile(join(root, 'outputs', jobId, 'manifest.json'), 'utf8');
  return ManifestSchema.parse(JSON.parse(text));
}

/** Decodes a whole file with ffmpeg (proving it plays to the end) and returns its duration from ffprobe. */
export async function decodedDuration(file: string): Promise<number> {
  await execa('ffmpeg', ['-v', 'error', '-xerror', '-i', file, '-map', '0:a:0', '-f', 'null', '-']);
  const info = await probeMedia(file);
  return info.duration_sec ?? Number.NaN;
}

/** Runs the `imk` CLI as a child process (a real worker process). */
export function imk(
  args: string[],
  options: { env?: Record<string, string>; detached?: boolean; tsEngine?: boolean } = {},
): ResultPromise {
  // A worker whose config names the counting engine (a .ts engine.module) imports TypeScript: bin/imk.js
  // (through tsx) can, the test bundle cannot.
  return execa(options.tsEngine === true ? IMK_SOURCE : IMK, args, {
    reject: false,
    env: { IMK_LOG_LEVEL: 'warn', ...options.env },
    detached: options.detached,
    all: true,
    // A SIGTERM test waits for the graceful exit; execa would otherwise SIGKILL after 5 s.
    forceKillAfterDelay: false,
  });
}

/**
 * Stops a worker as an operator does (SIGTERM) and waits for it to exit; one that does not fails the test
 * after `ms` naming it, and is killed (exitOf), instead of the test waiting until its own limit.
 */
export function stopWorker(worker: ResultPromise, ms = 60_000): Promise<unknown> {
  worker.kill('SIGTERM');
  return exitOf(worker, 'the worker', ms);
}

export async function folderNames(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/**
 * Waits until `check` is true, looking every 50 ms (and at least once); after `timeoutMs` fails with an Error
 * naming `what` was awaited and, when given, what was `seen` instead (the job's state, a log's last lines).
 */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
  seen?: () => Promise<string> | string,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() >= until) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const words = seen
    ? await Promise.resolve()
        .then(seen)
        .catch((error: unknown) => `(unreadable: ${String(error)})`)
    : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${words ? `; ${words}` : ''}`);
}

/**
 * Whether a worker's log (JSON lines, `IMK_LOG_LEVEL=debug`) says it found the mix claim of a job still
 * held by a live holder (its lease moved) after waiting at least `ms` by its own clock: the worker looked
 * again and again through that time, and went on waiting.
 */
export function waitedOnLiveClaim(log: string, ms: number): boolean {
  // The last piece may be a line still being written; stdout (the run's summary) is among the lines too.
  return log
    .split('\n')
    .slice(0, -1)
    .filter((line) => line.startsWith('{"') && line.includes('whose lease moved; still waiting'))
    .some((line) => ((JSON.parse(line) as { waited_ms?: number }).waited_ms ?? 0) >= ms);
}

/** `imk job <id> --json`, as a user's script would read it. */
export async function jobDetailFromCli(root: string, id: string): Promise<JobDetail> {
  const result = await imk(['job', id, '--json', '--root', root]);
  return JSON.parse(String(result.stdout)) as JobDetail;
}

/** The ledger's record of a job, read directly (the worker processes wrote it). */
export function jobDetail(root: string, id: string): Promise<JobDetail> {
  const ledger = openLedger({ root });
  try {
    const detail = ledger.getJob(id);
    if (!detail) throw new Error(`job ${id} is not in the ledger of ${root}`);
    return Promise.resolve(detail);
  } finally {
    ledger.close();
  }
}
