import { constants } from 'node:fs';
import { access, mkdir, rm, symlink } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { ImkError, isImkError, oneIssuePerField } from '@imk/errors';
import { openUntrusted } from '@imk/fs-safe';
import { probeMedia } from '@imk/media';
import { OWN_PROCESS_GROUP, resolveTool, trackToolGroup } from '@imk/tools';
import { STEM_NAMES, type StemName } from '@imk/protocol';
import { execa } from 'execa';
import { z } from 'zod';
import type { SeparateRequest, SeparationEngine, SeparationResult, StemFiles } from '../engine.ts';
import { STEM_SAMPLE_RATE } from '../pcm-source.ts';
import { conformStems } from './stem-output.ts';
import '../errors.ts';

export const DEMUCS_ENGINE_NAME = 'demucs';
/** Version of this adapter (what it asks of demucs and how it reads the result); part of the cache key. */
export const DEMUCS_ADAPTER_VERSION = '1';

export const DemucsEngineOptionsSchema = z.strictObject({
  /** Program to run: a path, or a name found through $IMK_DEMUCS, then PATH. */
  command: z.string().min(1).default('demucs'),
  /** Pretrained model name (`-n`). */
  model: z
    .string()
    .regex(/^[\w.-]+$/, 'a model name such as htdemucs')
    .default('htdemucs'),
  /** `-d`. */
  device: z.enum(['cpu', 'cuda']).default('cpu'),
  segment: z
    .number()
    .positive()
    .optional()
    .describe("Seconds per chunk (--segment); smaller uses less memory. @default the model's own"),
  shifts: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe("Random shifts averaged (--shifts); more is better and slower. @default demucs's own (1)"),
  /** More arguments, before the input file. They must not change the output layout or format. */
  extraArgs: z.array(z.string()).default([]),
});
export type DemucsEngineOptions = z.input<typeof DemucsEngineOptionsSchema>;

/** The pip command named when demucs is missing. */
export const DEMUCS_INSTALL_HINT = 'pip install demucs';

/**
 * Runs the demucs command line and reads `<out>/<model>/<track>/{vocals,drums,bass,other}.wav`, then
 * copies them into the engine contract's shape (float WAV, 44.1 kHz stereo, the mixture's length).
 */
export function createDemucsEngine(options: DemucsEngineOptions = {}): SeparationEngine {
  const parsed = DemucsEngineOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const errors = oneIssuePerField(parsed.error.issues, DemucsEngineOptionsSchema).map(
      (i) => `${['demucs', ...i.path.map(String)].join('.')}: ${i.message}`,
    );
    throw new ImkError('INVALID_ENGINE_OPTIONS', `invalid demucs engine options: ${errors.join('; ')}`);
  }
  const config = parsed.data;
  const params = {
    model: config.model,
    segment: config.segment ?? null,
    shifts: config.shifts ?? null,
    extra_args: config.extraArgs,
  };
  return {
    name: DEMUCS_ENGINE_NAME,
    version: DEMUCS_ADAPTER_VERSION,
    params,
    separate: (request) => separateWithDemucs(config, request),
  };
}

type DemucsConfig = z.output<typeof DemucsEngineOptionsSchema>;

async function separateWithDemucs(config: DemucsConfig, request: SeparateRequest): Promise<SeparationResult> {
  const { input, workDir, signal, onProgress, logger } = request;
  await probeMedia(input, { signal }); // bad input fails here with the media error, not as a demucs crash
  const command = await findDemucs(config.command);
  const base = join(workDir, 'demucs');
  await rm(base, { recursive: true, force: true });
  await mkdir(join(base, 'in'), { recursive: true });
  // demucs names its output folder after the input file: a link with a known name avoids guessing. It
  // leads to the input opened and checked here (a regular file, no link), through this process's own
  // descriptor (/proc/<pid>/fd/N, which demucs and the ffmpeg it runs open as the same inode), not to
  // the input's name: a song swapped for a link to another file meanwhile is not what demucs reads.
  const track = 'mixture';
  const link = join(base, 'in', `${track}${extname(input)}`);
  const outDir = join(base, 'out');
  const { handle } = await openUntrusted(resolve(input), { name: input });
  try {
    await symlink(`/proc/${String(process.pid)}/fd/${String(handle.fd)}`, link);
    const args = [
      '-n',
      config.model,
      '-d',
      config.device,
      ...(config.segment === undefined ? [] : ['--segment', String(config.segment)]),
      ...(config.shifts === undefined ? [] : ['--shifts', String(config.shifts)]),
      '--float32',
      '-o',
      outDir,
      ...config.extraArgs,
      link,
    ];
    logger?.info({ command, args }, 'running demucs');
    const subprocess = trackToolGroup(
      execa(command, args, {
        ...OWN_PROCESS_GROUP,
        reject: false,
        stdin: 'ignore',
        cancelSignal: signal,
        forceKillAfterDelay: 5000,
        all: true,
      }),
    );
    let tail = '';
    subprocess.all?.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
      const fraction = parseDemucsProgress(chunk.toString());
      if (fraction !== undefined) onProgress?.(0.95 * fraction);
    });
    const result = await subprocess;
    if (result.isCanceled || signal?.aborted === true)
      throw new ImkError('ABORTED', `aborted while demucs separated ${input}`, { cause: signal?.reason });
    if (result.exitCode !== 0) {
      throw new ImkError(
        'ENGINE_FAILED',
        `demucs failed on ${input} (exit ${String(result.exitCode ?? result.signal)}): ${lastLines(tail)}`,
        {
          details: { file: input, command, args },
        },
      );
    }
  } finally {
    await handle.close();
  }
  const produced = join(outDir, config.model, track);
  const sources = Object.fromEntries(
    STEM_NAMES.map((stem: StemName) => [stem, join(produced, `${stem}.wav`)]),
  ) as StemFiles;
  const stems = await conformStems(input, sources, workDir, { signal, logger }).catch((cause: unknown) => {
    if (isImkError(cause, 'ABORTED')) throw cause;
    throw new ImkError(
      'ENGINE_FAILED',
      `demucs finished but its stems in ${produced} could not be read: ${String((cause as Error).message)}`,
      { cause },
    );
  });
  await rm(base, { recursive: true, force: true });
  onProgress?.(1);
  return { stems: stems.stems, sampleRate: STEM_SAMPLE_RATE, frames: stems.frames };
}

async function findDemucs(command: string): Promise<string> {
  try {
    // A bare name goes through the one resolver ($IMK_DEMUCS, then PATH); a path is used as given.
    if (basename(command) === command) return await resolveTool(command);
    await access(command, constants.X_OK);
    return command;
  } catch (cause) {
    throw new ImkError(
      'ENGINE_UNAVAILABLE',
      `the demucs engine needs the "${command}" command, which is not installed: install it with \`${DEMUCS_INSTALL_HINT}\` (then \`demucs --help\` should work), or set IMK_DEMUCS to its path, or use the builtin engine`,
      { cause },
    );
  }
}

/** The last percentage in demucs's tqdm output (`45%|████▌ | 23.4/52.0 [...]`), as a fraction. */
export function parseDemucsProgress(text: string): number | undefined {
  const matches = [...text.matchAll(/(\d{1,3})%\|/g)];
  const last = matches.at(-1)?.[1];
  return last === undefined ? undefined : Math.min(1, Number(last) / 100);
}

function lastLines(text: string): string {
  return text
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-3)
    .join(' | ');
}
