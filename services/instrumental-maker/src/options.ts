import { ImkError } from '@imk/errors';
import {
  STEM_NAMES,
  bitDepthProblem,
  sampleRateProblem,
  type AudioFormat,
  type Job,
  type JobOptions,
  type StemName,
  isVideoHalf,
} from '@imk/protocol';
import {
  applyVariantRef,
  formatVariantRef,
  isEngineName,
  modelsFolderPath,
  parseVariantRef,
  sharedVariantFile,
  type VariantRecipes,
  type VariantRef,
} from '@imk/separation';
import { configuredEngineParams, type InstrumentalMakerConfig } from './config.ts';
import { audioPath } from './naming.ts';
import type { SidecarOptions } from './sidecar.ts';

export interface LoudnessOptions {
  targetLufs: number;
  truePeak: number;
  twoPass: boolean;
}

/** What one job will produce, after config defaults < job.json options < the per-song sidecar. */
export interface ResolvedOptions {
  variants: string[];
  /** The recipes of `variants` only. */
  recipes: VariantRecipes;
  /** File-name suffixes config gives by variant name (output.suffixes), of `variants` only; absent: the usual ones. */
  suffixes?: Readonly<Record<string, string>>;
  keepStems: StemName[];
  /**
   * The video half of a song fetched in mode "both" (isVideoHalf): only its video is published (the source
   * video, the video with `variants`' choice as its sound); the pair's audio job publishes the audio
   * variants and stems, so that none is delivered twice. No stems are kept.
   */
  videoOnly?: boolean;
  stemFormat: 'flac' | 'wav';
  stemMp4: boolean;
  format: AudioFormat;
  sampleRate: number | undefined;
  bitDepth: 16 | 24 | 32 | undefined;
  bitrate: string | undefined;
  loudness: LoudnessOptions | undefined;
  engine: { name: string; params: Record<string, unknown> };
  /** Where settings came from, in order: "config", "job.json", the sidecar's file name. */
  sources: string[];
  /**
   * The file and field that named the engine's model, as "config/instrumental-maker.yaml: engine.model" or
   * "song.yaml: model", for an error about that model; undefined when none did.
   */
  modelFrom?: string;
  /** Whether a job's job.json or its sidecar named the model (not the config): see chooseEngine. */
  modelFromJob?: boolean;
}

function optionsError(where: string, field: string, message: string): ImkError {
  return new ImkError('OPTIONS_INVALID', `${where}: ${field}: ${message}`, {
    details: { file: where, field },
  });
}

/**
 * Where one output setting came from, as [file, field] (the sidecar's key, job.json's option, the config's
 * `output.` key): the most specific source that set it.
 */
function fieldFrom(
  fromSidecar: unknown,
  fromJob: unknown,
  sidecar: SidecarOptions | undefined,
  sidecarKey: string,
  jobKey: string,
  configKey: string,
): [string, string] {
  if (fromSidecar !== undefined && sidecar !== undefined) return [sidecar.file, sidecarKey];
  if (fromJob !== undefined) return ['job.json options', jobKey];
  return ['config/instrumental-maker.yaml', `output.${configKey}`];
}

function stemsOf(value: boolean | StemName[]): StemName[] {
  if (value === true) return [...STEM_NAMES];
  if (value === false) return [];
  return STEM_NAMES.filter((stem) => value.includes(stem));
}

/**
 * Merges the settings of one job. Config gives the defaults, `job.json` options override them, and the
 * legacy sidecar YAML beside the audio overrides both (it is the most specific: written for this song).
 */
export function resolveOptions(
  config: InstrumentalMakerConfig,
  job: Job,
  sidecar: SidecarOptions | undefined,
): ResolvedOptions {
  const o: JobOptions = job.options ?? {};
  const sources = ['config'];
  if (job.options !== undefined) sources.push('job.json');
  if (sidecar !== undefined) sources.push(sidecar.file);

  let variants = config.variants;
  let variantsFrom = 'config/instrumental-maker.yaml';
  if (o.variants !== undefined) [variants, variantsFrom] = [o.variants, 'job.json options'];
  if (sidecar?.variants !== undefined) [variants, variantsFrom] = [sidecar.variants, sidecar.file];
  if (variants.length === 0) throw optionsError(variantsFrom, 'variants', 'name at least one variant');
  const recipes: VariantRecipes = {};
  if (sidecar?.instrumentalStems !== undefined) {
    // A legacy sidecar's keep_stems defines what the instrumental is made of.
    recipes.instrumental = { stems: sidecar.instrumentalStems, label: 'Instrumental' };
    if (!variants.includes('instrumental')) variants = ['instrumental', ...variants];
  }
  // Key and tempo for every variant: the sidecar's, else job.json's; a variant's own @-2 / @0.8x wins.
  const pitch = sidecar?.pitch ?? o.pitch;
  const tempo = sidecar?.tempo ?? o.tempo;
  const named: string[] = [];
  for (const name of variants) {
    let ref: VariantRef;
    try {
      ref = parseVariantRef(name);
    } catch (error) {
      throw optionsError(variantsFrom, 'variants', (error as Error).message);
    }
    const recipe = recipes[ref.base] ?? config.recipes[ref.base];
    if (recipe === undefined)
      throw optionsError(
        variantsFrom,
        'variants',
        `unknown variant "${ref.base}"; known: ${Object.keys(config.recipes).join(', ')} (define more under "recipes" in config/instrumental-maker.yaml)`,
      );
    // A recipe's own pitch/tempo (from config) stays in it, not in the name.
    if (recipe.pitch === undefined) ref.pitch ??= pitch;
    if (recipe.tempo === undefined) ref.tempo ??= tempo;
    const key = formatVariantRef(ref);
    if (!named.includes(key)) named.push(key);
    recipes[key] = applyVariantRef(recipe, ref);
  }
  for (const name of Object.keys(recipes)) if (!named.includes(name)) delete recipes[name];
  const format = sidecar?.format ?? o.output_format ?? config.output.format;
  const formatFrom = fieldFrom(sidecar?.format, o.output_format, sidecar, 'codec', 'output_format', 'format');
  const suffixes = Object.fromEntries(
    Object.entries(config.output.suffixes).filter(([base]) =>
      named.some((name) => parseVariantRef(name).base === base),
    ),
  );
  const shared = sharedVariantFile(named, (variant) =>
    audioPath(job, variant, format, recipes[variant], { suffixes }),
  );
  if (shared !== undefined)
    throw optionsError(
      variantsFrom,
      'variants',
      `variants "${shared.first}" and "${shared.second}" would both be written as ${shared.file}; ask for one of them, or name a recipe differently`,
    );

  // Parameters in config belong to the configured engine; another engine starts from its own defaults.
  const paramsFor = (name: string) =>
    name === config.engine.name ? configuredEngineParams(config.engine) : {};
  let engine = { name: config.engine.name, params: paramsFor(config.engine.name) };
  const configModel = `config/instrumental-maker.yaml: engine.${config.engine.params.model === undefined ? '' : 'params.'}model`;
  let modelFrom: string | undefined = engine.params.model === undefined ? undefined : configModel;
  if (o.engine !== undefined && o.engine !== engine.name) {
    engine = { name: o.engine, params: paramsFor(o.engine) };
    if (engine.params.model === undefined) modelFrom = undefined;
  }
  if (o.engine_params !== undefined) engine.params = { ...engine.params, ...o.engine_params };
  if (o.engine_params?.model !== undefined) modelFrom = 'job.json options: engine_params.model';
  // A job is written by a producer, not by whoever runs the worker: its mdx model must be one of the
  // root's models/, never any file on this machine (the worker opens it, and an error names its hash).
  const jobModel = o.engine_params?.model;
  if (
    engine.name === 'mdx' &&
    jobModel !== undefined &&
    (typeof jobModel !== 'string' || modelsFolderPath(jobModel) === undefined)
  )
    throw optionsError(
      'job.json options',
      'engine_params.model',
      `${JSON.stringify(jobModel)} is not a model in the models/ folder; name one as models/<file>.onnx`,
    );
  const model = sidecar?.model;
  if (model !== undefined) {
    // The legacy "model" named a demucs model (htdemucs, mdx_extra...); here it may also name an engine, or
    // an MDX-Net model file, which selects the mdx engine (it was taken for a demucs model name).
    if (isEngineName(model) || model === config.engine.name) {
      if (model !== engine.name) {
        engine = { name: model, params: paramsFor(model) };
        modelFrom = engine.params.model === undefined ? undefined : configModel;
      }
    } else if (/\.onnx$/i.test(model)) {
      // Like a job's: one of the root's models/, named models/<file>.onnx (models/<subfolder>/<file>.onnx,
      // as imk models lists it) or by its file name alone.
      const path = modelsFolderPath(model, { impliedFolder: true });
      if (path === undefined)
        throw optionsError(
          sidecar!.file,
          'model',
          `${JSON.stringify(model)} is not a model in the models/ folder; name one as models/<file>.onnx or <file>.onnx (in a subfolder: models/<subfolder>/<file>.onnx, as imk models lists it)`,
        );
      if (engine.name !== 'mdx') engine = { name: 'mdx', params: paramsFor('mdx') };
      engine.params = { ...engine.params, model: path };
      modelFrom = `${sidecar!.file}: model`;
    } else {
      if (engine.name !== 'demucs') engine = { name: 'demucs', params: paramsFor('demucs') };
      engine.params.model = model;
      modelFrom = `${sidecar!.file}: model`;
    }
  }

  const keep =
    sidecar?.keepStems ?? (o.keep_stems === undefined ? stemsOf(config.stems.keep) : stemsOf(o.keep_stems));
  const targetLufs = sidecar?.targetLufs ?? o.target_lufs;
  const truePeak = sidecar?.truePeak ?? o.true_peak;
  const twoPass = sidecar?.twoPass ?? o.two_pass_loudness;
  const loudnessAsked = config.loudness.enabled || targetLufs !== undefined || truePeak !== undefined;
  // A rate or depth the format cannot be written with fails here, not at the encode after separating.
  const sampleRate = sidecar?.sampleRate ?? o.sample_rate ?? config.output.sampleRate;
  const rateProblem = sampleRateProblem(format, sampleRate);
  if (rateProblem !== undefined) {
    const [where, field] = fieldFrom(
      sidecar?.sampleRate,
      o.sample_rate,
      sidecar,
      'sample_rate',
      'sample_rate',
      'sampleRate',
    );
    throw optionsError(where, field, `${rateProblem} (the format from ${formatFrom.join(': ')})`);
  }
  const bitDepth = sidecar?.bitDepth ?? o.bit_depth ?? config.output.bitDepth;
  const depthProblem = bitDepthProblem(format, bitDepth);
  if (depthProblem !== undefined) {
    const [where, field] = fieldFrom(
      sidecar?.bitDepth,
      o.bit_depth,
      sidecar,
      'bit_depth',
      'bit_depth',
      'bitDepth',
    );
    throw optionsError(where, field, `${depthProblem} (the format from ${formatFrom.join(': ')})`);
  }
  const videoOnly = isVideoHalf(job);
  return {
    variants: named,
    recipes,
    ...(Object.keys(suffixes).length > 0 && { suffixes }),
    keepStems: videoOnly ? [] : keep,
    ...(videoOnly && { videoOnly }),
    stemFormat: config.stems.format,
    stemMp4: config.stems.stemMp4,
    format,
    sampleRate,
    bitDepth,
    bitrate: config.output.bitrate,
    loudness: loudnessAsked
      ? {
          targetLufs: targetLufs ?? config.loudness.targetLufs,
          truePeak: truePeak ?? config.loudness.truePeak,
          twoPass: twoPass ?? config.loudness.twoPass,
        }
      : undefined,
    engine,
    sources,
    ...(modelFrom === undefined ? {} : { modelFrom, modelFromJob: modelFrom !== configModel }),
  };
}

/**
 * Whether a job's outputs are made from stems: not the video half of a mode "both" pair when config makes
 * no instrumental video (`video.instrumental: false`): it publishes the source video alone, or nothing.
 */
export function makesStems(options: ResolvedOptions, config: InstrumentalMakerConfig): boolean {
  return options.videoOnly !== true || config.video.instrumental;
}

/**
 * The options in force, in the manifest's `options` shape (snake_case, as job.json writes them). The video
 * half of a mode "both" pair says what it made: `variants` is the one under its picture (`videoSound`: none
 * without the instrumental video), and the audio files' own settings (format, rate, depth, loudness), which
 * nothing it publishes is written with, are left out.
 */
export function manifestOptions(options: ResolvedOptions, videoSound?: string): JobOptions {
  const half = options.videoOnly === true;
  const out: JobOptions = {
    variants: half ? (videoSound === undefined ? [] : [videoSound]) : options.variants,
    keep_stems: options.keepStems.length === STEM_NAMES.length ? true : options.keepStems,
    ...(!half && { output_format: options.format }),
    engine: options.engine.name,
    engine_params: options.engine.params,
  };
  if (half) return out;
  if (options.sampleRate !== undefined) out.sample_rate = options.sampleRate;
  if (options.bitDepth !== undefined) out.bit_depth = options.bitDepth;
  if (options.loudness !== undefined) {
    out.target_lufs = options.loudness.targetLufs;
    out.true_peak = options.loudness.truePeak;
    out.two_pass_loudness = options.loudness.twoPass;
  }
  return out;
}

/**
 * A stable text of what a job's outputs depend on besides the input and the engine: two jobs with the same
 * input, engine and fingerprint would produce the same files (used by the duplicate policy).
 */
export function outputFingerprint(options: ResolvedOptions): string {
  return JSON.stringify({
    variants: [...options.variants].sort().map((name) => [name, options.recipes[name]]),
    keepStems: options.keepStems,
    stemFormat: options.stemFormat,
    stemMp4: options.stemMp4,
    format: options.format,
    sampleRate: options.sampleRate ?? null,
    bitDepth: options.bitDepth ?? null,
    bitrate: options.bitrate ?? null,
    loudness: options.loudness ?? null,
    // Only when set, so that the fingerprints of jobs made before output.suffixes existed stay the same.
    ...(options.suffixes !== undefined && { suffixes: options.suffixes }),
    // Only when set too: a video job's files are not a video half's (which has no audio files).
    ...(options.videoOnly === true && { videoOnly: true }),
  });
}
