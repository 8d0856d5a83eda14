import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ImkError } from '@imk/errors';
import { errorMessage } from '@imk/errors';
import { openUntrusted } from '@imk/fs-safe';
import type { Logger } from '@imk/log';
import { createWavWriter, probeMedia, readWav, readWavHeader } from '@imk/media';
import {
  ARTIFACT_DIRS,
  STEM_NAMES,
  findLegacyStems,
  legacyStemPath,
  readOutputManifest,
  stemCacheFileName,
  type OutputManifest,
  type StemName,
} from '@imk/protocol';
import { STEM_SAMPLE_RATE, commonStemLength, type SeparationResult } from '@imk/separation';
import { decodeToWav } from './decode-input.ts';
import type { ReportProgress } from './stage-runner.ts';
import type { StemCache } from './stem-cache.ts';
import { stemCacheKey } from './stem-cache.ts';
import './errors.ts';

/** The "engine" of a mix made from the earlier version's stems: it did not record its model. */
export const LEGACY_ENGINE = {
  name: 'earlier-instrumental-maker',
  version: 'unknown',
  params: {},
} as const satisfies { name: string; version: string; params: Record<string, unknown> };

/** An output of the earlier Python version that kept its four stems: what a mix of it is made from. */
export interface LegacySource {
  manifest: OutputManifest;
  /** outputs/<job_id>/ */
  dir: string;
  /** Each stem's file in that folder (absolute), as findLegacyStems found it. */
  stems: Record<StemName, string>;
}

/**
 * The earlier version's output in `dir`, when there is one: its stems, or an error saying that it cannot be
 * mixed (not all four stem WAVs in `files/stems/`). Undefined when `dir` holds no manifest of the earlier
 * version.
 */
export async function legacyRemixSource(
  dir: string,
  remixId: string,
  target: string,
): Promise<LegacySource | undefined> {
  const read = await readOutputManifest(dir);
  if (read?.ok !== true || !read.manifest.legacy) return undefined;
  const stems = await findLegacyStems(dir, read.manifest);
  if (stems === undefined)
    throw new ImkError(
      'REMIX_SOURCE_LEGACY',
      `remix ${remixId}: job ${target} was made by the earlier instrumental-maker (outputs/${target}/manifest.json has no schema_version), and its four stems (${STEM_NAMES.map(legacyStemPath).join(', ')}) are not all in outputs/${target}/ (it kept them only with PRESERVE_STEMS=true); add the song again to mix it`,
      { details: { job_id: target } },
    );
  return { manifest: read.manifest, dir, stems };
}

/** Copies one file opened through fs-safe (a regular file, inside `within`, no link) and hashes it. */
async function copyChecked(file: string, within: string, name: string, to: string): Promise<string> {
  const { handle } = await openUntrusted(file, { name, within });
  const hash = createHash('sha256');
  try {
    const stream = handle.createReadStream({ autoClose: false });
    stream.on('data', (chunk) => hash.update(chunk));
    await pipeline(stream, createWriteStream(to, { flags: 'wx' }));
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** Rewrites `file` (a stem-shaped float WAV) keeping only its first `frames` frames. */
async function truncateWav(file: string, frames: number, signal: AbortSignal): Promise<void> {
  const cut = `${file}.cut.wav`;
  const writer = createWavWriter(cut, { sampleRate: STEM_SAMPLE_RATE, channels: 2 });
  try {
    for await (const block of readWav(file, { signal })) {
      const left = frames - writer.frames;
      if (left <= 0) break;
      await writer.write(block[0]!.length > left ? block.map((c) => c.subarray(0, left)) : block);
    }
    await writer.close();
  } catch (error) {
    await writer.abort().catch(() => undefined);
    throw error;
  }
  await rename(cut, file);
}

/**
 * The stems of an earlier-version output in the shape our mixer reads (44.1 kHz stereo float WAV, all of
 * one length), made in `work`: each file is copied from the job folder through fs-safe (the old files are
 * only read, never changed or moved), then decoded by ffmpeg (its stems may be 16-bit, 48 kHz, mono …);
 * stems a few samples longer than the others are cut to the shortest, and a stem shorter than the others by
 * more than that is STEM_LENGTHS_DIFFER (see commonStemLength). Returns them with a sha256 of the
 * four source files (the mix's input) and their length.
 */
export async function legacyStemsHere(input: {
  source: LegacySource;
  target: string;
  work: string;
  signal: AbortSignal;
  progress: ReportProgress;
}): Promise<LegacyStems> {
  const { source, target, work, signal } = input;
  const dir = join(work, 'legacy-stems');
  // Read afresh when read before in this work folder (the copies are made with wx).
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const stems = {} as Record<StemName, string>;
  const frames: Partial<Record<StemName, number>> = {};
  const digests: string[] = [];
  for (const [index, stem] of STEM_NAMES.entries()) {
    const copy = join(dir, `${stem}.source`);
    const name = `outputs/${target}/${legacyStemPath(stem)}`;
    digests.push(`${stem}:${await copyChecked(source.stems[stem], source.dir, name, copy)}`);
    const probed = await probeMedia(copy, { signal });
    stems[stem] = join(dir, `${stem}.wav`);
    await decodeToWav(copy, stems[stem], probed, signal, (f) =>
      input.progress((index + f) / STEM_NAMES.length),
    );
    frames[stem] = (await readWavHeader(stems[stem])).frames;
  }
  // A few samples apart (resampled from 48 kHz) are cut to the shortest; a stem that ends early is refused:
  // the whole mix ended where it did, published as a success.
  const lengths = STEM_NAMES.map((stem) => ({
    file: `outputs/${target}/${relative(source.dir, source.stems[stem])}`,
    frames: frames[stem]!,
  }));
  const shortest = commonStemLength(
    `the earlier instrumental-maker's stems of job ${target}`,
    lengths,
    STEM_SAMPLE_RATE,
  );
  for (const stem of STEM_NAMES)
    if (frames[stem]! > shortest) await truncateWav(stems[stem], shortest, signal);
  return {
    stems,
    sha256: createHash('sha256').update(digests.join('\n')).digest('hex'),
    durationSec: shortest / STEM_SAMPLE_RATE,
    frames: shortest,
  };
}

/** The stems of an earlier-version output as the mixer reads them, with what identifies them. */
export interface LegacyStems {
  stems: SeparationResult['stems'];
  /** sha256 over the four source files (the mix's input.sha256). */
  sha256: string;
  durationSec: number;
  frames: number;
}

/**
 * Stores the stems read from an earlier-version output in the stem cache, under the key of the mix job
 * made from them (input.sha256 = their sha256, engine LEGACY_ENGINE), so that the mix job is mixed again,
 * and opened in the page's mixer, as a job of ours is. Returns the cached files; a cache that cannot
 * store them (a full disk) leaves the work folder's files in use, with a warning in the log.
 */
export async function cacheLegacyStems(
  cache: StemCache | undefined,
  made: LegacyStems,
  logger: Logger,
): Promise<SeparationResult['stems']> {
  if (cache === undefined) return made.stems;
  const input = { inputSha256: made.sha256, engine: LEGACY_ENGINE };
  const key = stemCacheKey(input);
  const hit = await cache.lookup(key);
  if (hit !== undefined) return hit.stems;
  const dir = await cache.workDir(key);
  try {
    const stems = {} as Record<StemName, string>;
    for (const stem of STEM_NAMES) {
      stems[stem] = join(dir, stemCacheFileName(stem));
      await copyFile(made.stems[stem], stems[stem]);
    }
    const result = { stems, sampleRate: STEM_SAMPLE_RATE, frames: made.frames };
    return (await cache.store(key, input, result, dir)).stems;
  } catch (error) {
    await cache.discard(dir).catch(() => undefined);
    logger.warn(
      { err: errorMessage(error) },
      'the stems read from the earlier version could not be stored in the stem cache; mixing from the copies made for this job',
    );
    return made.stems;
  }
}

/**
 * The stems a mix of an earlier-version output (its manifest's input.stems_of) was made from, when no stem
 * cache holds them (another host made it, or they were cleaned up): read again from that output's
 * files/stems/, if they are still the files it was made from (same sha256), and stored in the cache.
 */
export async function stemsOfEarlierMix(input: {
  cache: StemCache | undefined;
  outputsDir: string;
  remixId: string;
  /** The mix job whose outputs the new mix joins, and the earlier-version job its stems came from. */
  target: string;
  stemsOf: string;
  sha256: string;
  work: string;
  signal: AbortSignal;
  progress: ReportProgress;
  logger: Logger;
}): Promise<SeparationResult['stems']> {
  const { remixId, target, stemsOf } = input;
  const gone = (why: string) =>
    new ImkError(
      'STEMS_NOT_CACHED',
      `remix ${remixId}: job ${target} was mixed from the stems the earlier instrumental-maker kept in outputs/${stemsOf}/${ARTIFACT_DIRS.stems}/; they are in no stem cache here, and ${why}. Mix job ${stemsOf} itself instead`,
      { details: { job_id: target } },
    );
  const source = await legacyRemixSource(join(input.outputsDir, stemsOf), remixId, stemsOf);
  if (source === undefined)
    throw gone(`outputs/${stemsOf}/ holds no manifest of the earlier version any more`);
  const made = await legacyStemsHere({ ...input, source, target: stemsOf });
  if (made.sha256 !== input.sha256)
    throw gone(`the stem files there are no longer the ones job ${target} was mixed from`);
  input.logger.info(
    { job_id: target, stems_of: stemsOf },
    `the stems of job ${target} are not in this worker's stem cache; read again from outputs/${stemsOf}/${ARTIFACT_DIRS.stems}/`,
  );
  return cacheLegacyStems(input.cache, made, input.logger);
}
