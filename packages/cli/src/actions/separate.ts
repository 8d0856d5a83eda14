import { lstat, mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ImkError, errorMessage, isAbsentErrno } from '@imk/errors';
import { createLogger } from '@imk/log';
import {
  AUDIO_FORMATS,
  encodeAudio,
  encodeGroupWithinCeiling,
  encoderInputPeak,
  probeMedia,
  songFileName,
  type AudioFormat,
} from '@imk/media';
import {
  SAMPLE_RATE_RANGE,
  STEM_NAMES,
  SampleRateSchema,
  sampleRateProblem,
  writableRate,
} from '@imk/protocol';
import {
  keyTempoSuffix,
  mixVariants,
  nullResidualDb,
  parseVariantList,
  sharedVariantFile,
  type VariantRecipe,
} from '@imk/separation';
import { print } from '../context.ts';
import { engineFromOptions } from '../engine-option.ts';
import { createProgress } from '../progress.ts';
import { shutdownSignal } from '../shutdown.ts';
import '../errors.ts';

interface SeparateOptions {
  out: string;
  engine: string;
  model?: string;
  stems?: boolean;
  variants: string;
  format: string;
  overwrite?: boolean;
  sampleRate?: string;
}

/** `out/song - instrumental (-2 semitones).m4a`: `instrumental@-2` is named as the worker names it. */
function variantFile(
  outDir: string,
  base: string,
  name: string,
  recipe: VariantRecipe | undefined,
  format: AudioFormat,
): string {
  return join(outDir, `${base} - ${name.split('@', 1)[0]}${keyTempoSuffix(recipe)}.${format}`);
}

function stemFile(outDir: string, base: string, stem: string, format: AudioFormat): string {
  return join(outDir, 'stems', `${base} - ${stem}.${format}`);
}

async function refuseExisting(targets: string[]): Promise<void> {
  const existing: string[] = [];
  for (const target of targets) {
    const found = await lstat(target).then(
      () => true,
      (error: unknown) => {
        if (isAbsentErrno(error)) return false;
        throw error;
      },
    );
    if (found) existing.push(target);
  }
  if (existing.length === 0) return;
  throw new ImkError(
    'OUTPUT_EXISTS',
    `${existing.length === 1 ? 'a file' : `${existing.length} files`} this would write already ${existing.length === 1 ? 'exists' : 'exist'}, and ${existing.length === 1 ? 'is' : 'are'} kept: ${existing.join(', ')}; choose another --out, move them away, or add --overwrite to replace them`,
    { details: { files: existing } },
  );
}

/** `imk separate <input>` */
export async function separateCommand(named: string, options: SeparateOptions): Promise<void> {
  // The user's own file: a link they name is theirs to follow, so media reads what it leads to (media
  // refuses links in what it reads, which someone else could swap in). One that is not there is said so
  // by the probe below, by its name.
  const input = await realpath(named).catch(() => named);
  const format = options.format as AudioFormat;
  if (!AUDIO_FORMATS.includes(format))
    throw new ImkError(
      'INVALID_FORMAT',
      `unknown --format "${options.format}"; choose one of: ${AUDIO_FORMATS.join(', ')}`,
    );
  const requestedRate = options.sampleRate === undefined ? undefined : Number(options.sampleRate);
  if (requestedRate !== undefined && !SampleRateSchema.safeParse(requestedRate).success)
    throw new ImkError(
      'INVALID_OPTION',
      `--sample-rate "${options.sampleRate}" is not a sample rate: give a whole number of Hz from ${SAMPLE_RATE_RANGE.min} to ${SAMPLE_RATE_RANGE.max}`,
    );
  // A rate the format cannot take failed at the encode, after the whole separation (ffmpeg's "Specified
  // sample rate 96000 is not supported"): refused now.
  const rateProblem = sampleRateProblem(format, requestedRate);
  if (rateProblem !== undefined)
    throw new ImkError('INVALID_OPTION', `--sample-rate ${requestedRate}: ${rateProblem}`);
  const recipes = parseVariantList(options.variants);
  const base = songFileName(named);
  const outDir = resolve(options.out);
  // Said before any work is done: the second of two variants sharing a file name would replace the first.
  const shared = sharedVariantFile(Object.keys(recipes), (name) =>
    variantFile(outDir, base, name, recipes[name], format),
  );
  if (shared !== undefined)
    throw new ImkError(
      'INVALID_VARIANT',
      `variants "${shared.first}" and "${shared.second}" would both be written as ${shared.file}; ask for one of them`,
    );
  const engine = await engineFromOptions(options);
  const info = await probeMedia(input);
  const targets = [
    ...Object.keys(recipes).map((name) => variantFile(outDir, base, name, recipes[name], format)),
    ...(options.stems === true ? STEM_NAMES.map((stem) => stemFile(outDir, base, stem, format)) : []),
  ];
  const replace = options.overwrite === true;
  // The separation runs at 44.1 kHz; the files come back at the input's rate unless asked otherwise, or at
  // the nearest rate below it that the format takes (a 192 kHz file as m4a, the default, failed at the
  // encode after the whole separation), said on stderr.
  const inputRate = info.audio?.sample_rate;
  const sampleRate = requestedRate ?? (inputRate === undefined ? undefined : writableRate(format, inputRate));
  if (requestedRate === undefined && inputRate !== undefined && sampleRate !== inputRate)
    process.stderr.write(
      `imk: ${sampleRateProblem(format, inputRate)}; the files are written at ${sampleRate} Hz (--format flac or wav keeps ${inputRate} Hz)\n`,
    );
  // Said before the separation, not after it: a user's file of the same name is never replaced unasked.
  if (!replace) await refuseExisting(targets);
  await makeOutFolder(outDir);
  const work = await mkdtemp(join(tmpdir(), 'imk-separate-'));
  const shutdown = shutdownSignal(createLogger('separate'));
  try {
    const progress = createProgress(`separating (${engine.name})`);
    const result = await engine.separate({
      input,
      workDir: work,
      signal: shutdown.signal,
      onProgress: (f) => progress.update(f),
    });
    progress.done();
    const mixes = await mixVariants({
      stems: result.stems,
      mixture: input,
      recipes,
      outDir: work,
      signal: shutdown.signal,
    });
    const tags = { artist: info.tags.artist, album: info.tags.album };
    const title = info.tags.title ?? base;
    const written: string[] = [];
    const encoding = createProgress('encoding');
    const jobs = [
      ...Object.entries(mixes).map(([name, wav]) => ({
        wav,
        // `instrumental@-2` is written as "… - instrumental (-2 semitones)", as the worker names it.
        output: variantFile(outDir, base, name, recipes[name], format),
        title: `${title} (${recipes[name]?.label ?? name.split('@', 1)[0]})${keyTempoSuffix(recipes[name])}`,
        mix: true,
      })),
      ...(options.stems === true
        ? STEM_NAMES.map((stem) => ({
            wav: result.stems[stem],
            output: stemFile(outDir, base, stem, format),
            title: `${title} (${stem})`,
            mix: false,
          }))
        : []),
    ];
    if (options.stems === true) await mkdir(join(outDir, 'stems'), { recursive: true });
    let n = 0;
    const encode = async (job: (typeof jobs)[number], gain?: number) => {
      encoding.update(Math.min(1, n++ / jobs.length));
      const result = await encodeAudio({
        input: job.wav,
        output: job.output,
        format,
        tags: { ...tags, title: job.title },
        // A stem written again with a lower gain (a lossy one came out over full scale) replaces this run's own.
        replace: replace || written.includes(job.output),
        // A mix can go over full scale where its stems did not: turned down just enough, never clipped.
        avoidClipping: job.mix,
        ...(gain !== undefined && { gain }),
        ...(sampleRate === undefined ? {} : { sampleRate }),
        signal: shutdown.signal,
      });
      if (result.clipGuard !== undefined)
        process.stderr.write(
          `${job.output} turned down by ${-result.clipGuard.gainDb} dB: its peak would have clipped\n`,
        );
      if (!written.includes(job.output)) written.push(job.output);
    };
    for (const job of jobs.filter((j) => j.mix)) await encode(job);
    // The stems are turned down alike when one would clip, so that they still sum to the mixture.
    const stems = jobs.filter((j) => !j.mix);
    const peaks: number[] = [];
    for (const job of stems)
      peaks.push(
        await encoderInputPeak({
          input: job.wav,
          ...(sampleRate === undefined ? {} : { sampleRate }),
          signal: shutdown.signal,
        }),
      );
    const guard = await encodeGroupWithinCeiling(
      peaks.map((peak) => ({ peak, format })),
      async (gain) => {
        for (const job of stems) await encode(job, gain);
        return stems.map((job) => job.output);
      },
      shutdown.signal,
    );
    if (guard !== undefined)
      process.stderr.write(
        `stems turned down by ${-guard.gainDb} dB, all alike so that they still sum to the mixture: ${stems[guard.file]!.output}'s peak would have clipped\n`,
      );
    encoding.done();
    const residual = await nullResidualDb(input, result.stems, { signal: shutdown.signal });
    for (const file of written) print(file);
    process.stderr.write(
      `${written.length} files in ${outDir}; ${(result.frames / result.sampleRate).toFixed(1)} s of audio; null residual (mixture minus the sum of the stems) ${residual.toFixed(1)} dB\n`,
    );
  } finally {
    shutdown.dispose();
    await rm(work, { recursive: true, force: true });
    // Stopped by Ctrl-C: every step has ended (no file half-written: each is renamed in whole, the work folder
    // is gone); a model run the mdx engine dropped may still hold its thread, and is not waited for.
    shutdown.exitOnceStopped();
  }
}

/**
 * Creates --out (and its parents). A file there, or on the way, or a folder that cannot be made, said as
 * the option's problem: it was Node's own "EEXIST: file already exists, mkdir '…'", without a code.
 */
async function makeOutFolder(outDir: string): Promise<void> {
  try {
    await mkdir(outDir, { recursive: true });
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code;
    const details = { out: outDir };
    if (errno === 'EEXIST' || errno === 'ENOTDIR')
      throw new ImkError(
        'INVALID_OPTION',
        `--out: ${outDir} is a file, or a file is on the way to it: give a folder`,
        {
          details,
        },
      );
    throw new ImkError('INVALID_OPTION', `--out: ${outDir} cannot be created: ${errorMessage(error)}`, {
      cause: error,
      details,
    });
  }
}
