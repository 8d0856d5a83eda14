import { describe, expect, it } from 'vitest';
import { JobOptionsSchema, type Job } from '@imk/protocol';
import { DEFAULT_VARIANTS } from '@imk/separation/variants';
import { InstrumentalMakerConfigSchema } from './config.ts';
import { resolveOptions } from './options.ts';
import { parseSidecar } from './sidecar.ts';

const config = InstrumentalMakerConfigSchema.parse({
  output: { format: 'mp3' },
  stems: { keep: ['vocals'] },
  engine: { name: 'builtin', params: { hop: 512 } },
});
const job = (options?: Job['options']): Job => ({
  job_id: 'j',
  source_type: 'local',
  audio_path: 'a.m4a',
  ...(options && { options }),
});

describe('resolveOptions: config < job.json < sidecar', () => {
  it("makes the default variants job.json's description (docs/protocol.md) names", () => {
    // @imk/protocol cannot import the worker's config: its description of options.variants spells the
    // default, and this is where a change to one without the other is caught.
    expect(InstrumentalMakerConfigSchema.parse({}).variants).toEqual(DEFAULT_VARIANTS);
    expect(JobOptionsSchema.shape.variants.description).toContain(
      `(default from config: ${DEFAULT_VARIANTS.join(', ')}; also vocals)`,
    );
  });

  it('takes config defaults when the job says nothing', () => {
    const o = resolveOptions(config, job(), undefined);
    expect(o).toMatchObject({
      variants: ['instrumental', 'no_drums', 'drums_only'],
      format: 'mp3',
      keepStems: ['vocals'],
      loudness: undefined,
      engine: { name: 'builtin', params: { hop: 512 } },
    });
    expect(o.sources).toEqual(['config']);
  });

  it('lets job.json override config, and the sidecar override both', () => {
    const o = resolveOptions(
      config,
      job({ output_format: 'flac', keep_stems: true, target_lufs: -20, variants: ['instrumental'] }),
      parseSidecar('a.yaml', 'codec: wav\nstems: D\ntrue_peak: -2'),
    );
    expect(o).toMatchObject({
      format: 'wav',
      keepStems: ['drums'],
      variants: ['instrumental'],
      loudness: { targetLufs: -20, truePeak: -2, twoPass: true },
    });
    expect(o.sources).toEqual(['config', 'job.json', 'a.yaml']);
  });

  it('maps a legacy model name to the demucs engine, and keeps config params only for the configured engine', () => {
    expect(resolveOptions(config, job(), parseSidecar('a.yaml', 'model: htdemucs')).engine).toEqual({
      name: 'demucs',
      params: { model: 'htdemucs' },
    });
    expect(resolveOptions(config, job({ engine_params: { hop: 256 } }), undefined).engine.params).toEqual({
      hop: 256,
    });
  });

  it("keeps a job's mdx model inside the root's models/ folder", () => {
    const mdx = (model: unknown) =>
      resolveOptions(config, job({ engine: 'mdx', engine_params: { model } }), undefined);
    expect(mdx('models/Kim_Vocal_2.onnx').engine).toEqual({
      name: 'mdx',
      params: { model: 'models/Kim_Vocal_2.onnx' },
    });
    expect(mdx('models/uvr/Kim_Vocal_2.onnx').engine.params.model).toBe('models/uvr/Kim_Vocal_2.onnx');
    // As deep as imk models lists (8 subfolders), and no deeper.
    expect(mdx('models/1/2/3/4/5/6/7/8/x.onnx').engine.params.model).toBe('models/1/2/3/4/5/6/7/8/x.onnx');
    for (const model of [
      '/etc/shadow',
      '../secret.onnx',
      'models/../../x.onnx',
      'other/x.onnx',
      'models',
      7,
      'models/1/2/3/4/5/6/7/8/9/x.onnx',
    ])
      expect(() => mdx(model), String(model)).toThrow(
        /job\.json options: engine_params\.model: .* is not a model in the models\/ folder; name one as models\/<file>\.onnx/,
      );
    // Another engine's "model" is its own business (demucs: a model name such as htdemucs).
    const demucs = resolveOptions(
      config,
      job({ engine: 'demucs', engine_params: { model: 'htdemucs' } }),
      undefined,
    );
    expect(demucs.engine.params.model).toBe('htdemucs');
  });

  it("takes a sidecar's model: <file>.onnx as an MDX-Net model in models/, not a demucs model name", () => {
    const side = (text: string, c = config) => resolveOptions(c, job(), parseSidecar('song.yaml', text));
    expect(side('model: Kim_Vocal_2.onnx').engine).toEqual({
      name: 'mdx',
      params: { model: 'models/Kim_Vocal_2.onnx' },
    });
    expect(side('model: models/uvr/Inst_HQ_3.ONNX').engine.params.model).toBe('models/uvr/Inst_HQ_3.ONNX');
    // With mdx configured, its other settings stay; only the model is the song's.
    const mdx = InstrumentalMakerConfigSchema.parse({
      engine: { name: 'mdx', model: 'models/a.onnx', overlap: 0.5 },
    });
    expect(side('model: b.onnx', mdx).engine).toEqual({
      name: 'mdx',
      params: { model: 'models/b.onnx', overlap: 0.5 },
    });
    for (const model of ['/etc/x.onnx', '../x.onnx', 'models/../../x.onnx', 'other/x.onnx', 'a\\\\b.onnx'])
      expect(() => side(`model: "${model}"`), model).toThrow(
        /song\.yaml: model: .* is not a model in the models\/ folder; name one as models\/<file>\.onnx or <file>\.onnx/,
      );
  });

  it('refuses an unknown variant, naming where it came from and the known ones', () => {
    expect(() => resolveOptions(config, job({ variants: ['karaoke'] }), undefined)).toThrow(
      /job\.json options: variants: unknown variant "karaoke"; known: instrumental, no_drums, drums_only/,
    );
  });
});

describe('config defaults', () => {
  it("fills the engine from its fields' own defaults when config names no engine", () => {
    expect(InstrumentalMakerConfigSchema.parse({}).engine).toMatchObject({
      name: 'builtin',
      params: {},
      fallback: true,
    });
    expect(InstrumentalMakerConfigSchema.parse({ engine: { params: { hop: 1 } } }).engine).toMatchObject({
      name: 'builtin',
      fallback: true,
    });
  });
});

describe('config recipes', () => {
  it('adds configured recipes to the three defaults and vocals', () => {
    const parsed = InstrumentalMakerConfigSchema.parse({ recipes: { bass_only: { stems: ['bass'] } } });
    expect(Object.keys(parsed.recipes)).toEqual([
      'instrumental',
      'no_drums',
      'drums_only',
      'vocals',
      'bass_only',
    ]);
    expect(resolveOptions(parsed, job({ variants: ['bass_only'] }), undefined).recipes).toEqual({
      bass_only: { stems: ['bass'] },
    });
    // The a cappella by name; not in the default set.
    expect(resolveOptions(parsed, job({ variants: ['vocals'] }), undefined).recipes).toEqual({
      vocals: { stems: ['vocals'], label: 'Vocals (a cappella)' },
    });
    expect(parsed.variants).not.toContain('vocals');
  });

  it('takes key and tempo from a variant name, job options, or a recipe of its own', () => {
    const parsed = InstrumentalMakerConfigSchema.parse({
      recipes: { low_karaoke: { stems: ['bass', 'other'], pitch: -3 } },
    });
    const resolved = resolveOptions(
      parsed,
      job({ variants: ['instrumental@-2', 'no_drums', 'low_karaoke', 'vocals@+1@1.5x'], tempo: 0.8 }),
      undefined,
    );
    expect(resolved.variants).toEqual([
      'instrumental@-2@0.8x',
      'no_drums@0.8x',
      'low_karaoke@0.8x',
      'vocals@+1@1.5x',
    ]);
    expect(resolved.recipes['instrumental@-2@0.8x']).toMatchObject({ pitch: -2, tempo: 0.8 });
    expect(resolved.recipes['low_karaoke@0.8x']).toMatchObject({ pitch: -3, tempo: 0.8 });
    expect(resolved.recipes['vocals@+1@1.5x']).toMatchObject({ pitch: 1, tempo: 1.5 });
    expect(() => resolveOptions(parsed, job({ variants: ['instrumental@-20'] }), undefined)).toThrow(
      /job.json options: variants: variant "instrumental@-20": pitch -20 is outside/,
    );
  });
});

describe('resolveOptions: the mdx engine configured under engine:', () => {
  it('passes model, overlap and the other mdx keys to the engine, engine.params winning', () => {
    const mdx = InstrumentalMakerConfigSchema.parse({
      engine: {
        name: 'mdx',
        model: 'models/Kim_Vocal_2.onnx',
        overlap: 0.5,
        threads: 2,
        params: { threads: 1 },
      },
    });
    expect(resolveOptions(mdx, job(), undefined).engine).toEqual({
      name: 'mdx',
      params: { model: 'models/Kim_Vocal_2.onnx', overlap: 0.5, threads: 1 },
    });
    // Another engine named by a job starts from its own defaults.
    expect(resolveOptions(mdx, job({ engine: 'builtin' }), undefined).engine).toEqual({
      name: 'builtin',
      params: {},
    });
  });
  // UVR's Volume Compensation: set under engine: as overlap is, and a job's engine_params win. It could not
  // be set at all (engine.compensate was an unknown key, and the engine refused it in engine_params).
  it("passes compensate (auto or a number) like the other mdx keys, a job's engine_params winning", () => {
    const mdx = InstrumentalMakerConfigSchema.parse({
      engine: { name: 'mdx', model: 'models/a.onnx', compensate: 1.035 },
    });
    expect(resolveOptions(mdx, job(), undefined).engine.params).toEqual({
      model: 'models/a.onnx',
      compensate: 1.035,
    });
    expect(
      resolveOptions(mdx, job({ engine_params: { compensate: 'auto' } }), undefined).engine.params.compensate,
    ).toBe('auto');
    for (const bad of [0, 'loud'])
      expect(
        InstrumentalMakerConfigSchema.safeParse({ engine: { name: 'mdx', compensate: bad } }).success,
      ).toBe(false);
  });
});

// A rate or bit depth the format cannot be written with fails before any work, naming the setting that
// asked for it and where the format came from (the encoder refused it only after the separation).
describe('resolveOptions: a sample rate or bit depth the format cannot take', () => {
  it('names the config keys when the config sets both, and lets a job choose a format that takes the rate', () => {
    const hiRes = InstrumentalMakerConfigSchema.parse({ output: { format: 'mp3', sampleRate: 96000 } });
    expect(() => resolveOptions(hiRes, job(), undefined)).toThrow(
      /^config\/instrumental-maker\.yaml: output\.sampleRate: mp3 cannot be written at 96000 Hz: it takes 8000, .* or 48000 Hz \(flac and wav take any rate from 8000 to 192000\) \(the format from config\/instrumental-maker\.yaml: output\.format\)$/,
    );
    expect(resolveOptions(hiRes, job({ output_format: 'flac' }), undefined).sampleRate).toBe(96000);
    expect(resolveOptions(hiRes, job({ sample_rate: 48000 }), undefined).sampleRate).toBe(48000);
  });

  it('names the sidecar key that set the bit depth', () => {
    expect(() =>
      resolveOptions(config, job({ output_format: 'flac' }), parseSidecar('a.yaml', 'bit_depth: 32')),
    ).toThrow(
      /^a\.yaml: bit_depth: flac cannot hold 32-bit samples: .*\(the format from job\.json options: output_format\)$/,
    );
    expect(
      resolveOptions(config, job({ output_format: 'wav' }), parseSidecar('a.yaml', 'bit_depth: 32')).bitDepth,
    ).toBe(32);
    // m4a and mp3 have no bit depth: it is ignored there, as before.
    expect(resolveOptions(config, job({ bit_depth: 32 }), undefined).format).toBe('mp3');
  });
});
