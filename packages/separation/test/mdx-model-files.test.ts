// What a user's own model file and settings get told before any audio is read.
// - A model of another kind (not 4-D, or not 4 spectrogram channels) was told to "fix mdx_dim_f_set /
//   mdx_dim_t_set in the model's .json", which cannot help; it is now told it is not an MDX-Net model.
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, isImkError } from '@imk/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMdxEngine } from '../src/engines/mdx.ts';
import { inspectMdxModel } from '../src/mdx/inspect.ts';
import { mdxModelHash } from '../src/mdx/model-hash.ts';
import { mdxModelDataFiles, resolveMdxModelParams } from '../src/mdx/model-params.ts';
import { makeTempDir, musicLikeFile } from './audio-fixtures.ts';
import { SHAPE, errorOf } from './mdx-model-kit.ts';
import {
  failsWhenRunGraph,
  float16Graph,
  identityGraph,
  identityWithDims,
  writeModel,
} from './mdx-graphs.ts';

let dir = '';
let cleanup: () => Promise<void> = () => Promise.resolve();
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('imk-mdx-files-'));
});
afterAll(() => cleanup());

describe('mdx engine: the model file and its settings', () => {
  // imk models and imk doctor passed these (the model opens, its shape is what its .json says) while every
  // job failed, with INVALID_PARAMS messages naming neither the model nor its .json. One check now serves
  // the engine and the report, and names the .json and its keys.
  it('refuses parameters it cannot run, in the engine and in the report imk models / doctor print', async () => {
    const cases = [
      ['reverb', { ...SHAPE, primaryStem: 'Reverb' }, 'MODEL_UNSUPPORTED', 'separates "Reverb"'],
      [
        'short-chunk',
        { nFft: 8192, dimF: 1024, dimT: 8 },
        'MODEL_DATA_INVALID',
        '7168 samples must be longer than n_fft 8192',
      ],
      [
        'fft-6000',
        { nFft: 6000, dimF: 1024, dimT: 16 },
        'MODEL_DATA_INVALID',
        "n_fft 6000 is not a size this engine's FFT supports",
      ],
      [
        'wide',
        { nFft: 2048, dimF: 2000, dimT: 16 },
        'MODEL_DATA_INVALID',
        'dim_f must be at most n_fft/2 + 1 = 1025',
      ],
      // n_fft = hop: the overlapping windows add up to zero at each frame's first sample; torch.istft (so UVR)
      // refuses it, and the engine wrote NaN and stems hundreds of times too loud.
      [
        'fft-is-hop',
        { nFft: 1024, dimF: 512, dimT: 16 },
        'MODEL_DATA_INVALID',
        'n_fft must be more than the hop 1024',
      ],
    ] as const;
    for (const [name, data, code, says] of cases) {
      const model = await writeModel(join(dir, `${name}.onnx`), identityGraph(data), {
        primaryStem: 'Vocals',
        ...data,
      });
      let error: unknown;
      try {
        await createMdxEngine({ model });
      } catch (e) {
        error = e;
      }
      expect(isImkError(error, code), `${name}: ${String(error)}`).toBe(true);
      expect((error as Error).message).toContain(says);
      expect((error as Error).message).toContain(
        code === 'MODEL_UNSUPPORTED' ? model : join(dir, `${name}.json`),
      );
      const report = await inspectMdxModel(model, { open: true });
      expect(report.problem, name).toEqual({ code, message: (error as Error).message });
    }
    // Any case of UVR's stem names: "vocals" is the vocals.
    const lower = await writeModel(join(dir, 'lower.onnx'), identityGraph(SHAPE), {
      ...SHAPE,
      primaryStem: 'vocals',
    });
    expect((await inspectMdxModel(lower, { open: true })).problem).toBeNull();
  });

  // UVR keeps the parameters of a model in model_data/ beside its models: its table model_data.json (entries
  // by hash) and <hash>.json for the ones a user entered for a model it did not know. A user who copied that
  // folder, or pasted UVR's entry under its hash into <model>.json, got MODEL_UNKNOWN / MODEL_DATA_INVALID;
  // and an empty .onnx (an interrupted copy) was told to write a .json.
  it('reads the parameters where UVR keeps them: model_data/<hash>.json, model_data/model_data.json, or keyed by hash', async () => {
    const entry = (dimT: number, stem = 'Vocals') => ({
      compensate: 1.02,
      mdx_dim_f_set: 1024,
      mdx_dim_t_set: Math.log2(dimT),
      mdx_n_fft_scale_set: 2048,
      primary_stem: stem,
    });
    const uvr = join(dir, 'MDX_Net_Models');
    await mkdir(join(uvr, 'model_data'), { recursive: true });
    const bytes = (dimT: number) => identityGraph({ dimF: 1024, dimT });
    // A model UVR was told the parameters of: model_data/<hash>.json.
    const given = await writeModel(join(uvr, 'given.onnx'), bytes(16));
    const givenData = join(uvr, 'model_data', `${await mdxModelHash(given)}.json`);
    await writeFile(givenData, JSON.stringify(entry(16)));
    // Models in UVR's own table (its copy is newer than ours): model_data/model_data.json, keyed by hash.
    const listed = await writeModel(join(uvr, 'listed.onnx'), bytes(32));
    const table = join(uvr, 'model_data', 'model_data.json');
    await writeFile(
      table,
      JSON.stringify({
        '0ddfc0eb5792638ad5dc27850236c246': entry(8),
        [await mdxModelHash(listed)]: entry(32, 'Instrumental'),
      }),
    );
    // UVR's entry pasted with its hash into <model>.json (it wins over model_data/).
    const pasted = await writeModel(join(uvr, 'pasted.onnx'), bytes(64));
    await writeFile(join(uvr, 'pasted.json'), JSON.stringify({ [await mdxModelHash(pasted)]: entry(64) }));
    await writeFile(join(uvr, 'model_data', `${await mdxModelHash(pasted)}.json`), JSON.stringify(entry(16)));

    for (const [model, dimT, from, stem] of [
      [given, 16, givenData, 'Vocals'],
      [listed, 32, table, 'Instrumental'],
      [pasted, 64, join(uvr, 'pasted.json'), 'Vocals'],
    ] as const) {
      const report = await inspectMdxModel(model, { open: true });
      expect(report.problem, model).toBeNull();
      expect(report.params).toMatchObject({ dimT, dataFile: from, primaryStem: stem });
      expect((await createMdxEngine({ model })).params).toMatchObject({ dim_t: dimT, compensate: 1.02 });
    }

    // Numbers that cannot run are blamed on the file they came from (it named <model>.json, which was absent).
    const unrunnable = await writeModel(join(uvr, 'unrunnable.onnx'), bytes(8));
    const unrunnableData = join(uvr, 'model_data', `${await mdxModelHash(unrunnable)}.json`);
    await writeFile(unrunnableData, JSON.stringify({ ...entry(8), mdx_n_fft_scale_set: 8192 }));
    const refused = (await inspectMdxModel(unrunnable)).problem;
    expect(refused?.code).toBe('MODEL_DATA_INVALID');
    expect(refused?.message.startsWith(`${unrunnableData}: mdx_n_fft_scale_set 8192`)).toBe(true);

    // A copy of UVR's table as <model>.json without this model's entry says so.
    const other = await writeModel(join(dir, 'other.onnx'), bytes(16));
    await writeFile(
      join(dir, 'other.json'),
      JSON.stringify({ '0ddfc0eb5792638ad5dc27850236c246': entry(8) }),
    );
    const error = (await inspectMdxModel(other)).problem;
    expect(error?.code).toBe('MODEL_DATA_INVALID');
    expect(error?.message).toContain(
      `it holds entries for other models' hashes, but none for this model's, ${await mdxModelHash(other)}`,
    );

    const empty = join(dir, 'empty.onnx');
    await writeFile(empty, '');
    expect((await inspectMdxModel(empty)).problem).toEqual({
      code: 'MODEL_INVALID',
      message: `MDX model ${empty} is empty (0 bytes): an interrupted copy or download; copy the .onnx file again`,
    });
  });

  // UVR runs on Windows, and Notepad (or PowerShell's Out-File -Encoding utf8) saves a byte order mark: a
  // <model>.json, a model_data/<hash>.json or UVR's model_data.json so saved was refused as "not JSON:
  // Unexpected token '\uFEFF'", naming a character the user cannot see, though every other JSON file the
  // project reads (job.json, manifests) skips it. All three are now read as every JSON document is.
  it('reads model data saved by a Windows editor (a byte order mark, CRLF), wherever UVR keeps it', async () => {
    const windows = (value: unknown) => `\uFEFF${JSON.stringify(value, null, 2).replace(/\n/g, '\r\n')}\r\n`;
    const entry = {
      compensate: 1.035,
      mdx_dim_f_set: 1024,
      mdx_dim_t_set: 4,
      mdx_n_fft_scale_set: 2048,
      primary_stem: 'Vocals',
    };
    const folder = join(dir, 'windows');
    await mkdir(join(folder, 'model_data'), { recursive: true });
    const own = await writeModel(join(folder, 'own.onnx'), identityGraph({ ...SHAPE, dimT: 16 }));
    await writeFile(join(folder, 'own.json'), windows(entry));
    const given = await writeModel(join(folder, 'given.onnx'), identityGraph({ ...SHAPE, dimT: 32 }));
    await writeFile(join(folder, 'model_data', `${await mdxModelHash(given)}.json`), windows(entry));
    const listed = await writeModel(join(folder, 'listed.onnx'), identityGraph({ ...SHAPE, dimT: 64 }));
    await writeFile(
      join(folder, 'model_data', 'model_data.json'),
      windows({ [await mdxModelHash(listed)]: { ...entry, is_karaoke: false } }),
    );
    for (const model of [own, given, listed]) {
      expect(await resolveMdxModelParams(model), model).toMatchObject({
        compensate: 1.035,
        primaryStem: 'Vocals',
      });
      expect((await createMdxEngine({ model })).params, model).toMatchObject({ compensate: 1.035 });
    }
    // A file that is not JSON is still refused, naming it and the keys to write.
    const broken = await writeModel(join(folder, 'broken.onnx'), identityGraph({ ...SHAPE, dimT: 128 }));
    await writeFile(join(folder, 'broken.json'), '\uFEFF{"compensate": 1.035,');
    expect(await createMdxEngine({ model: broken }).catch((e: unknown) => e)).toMatchObject({
      code: 'MODEL_DATA_INVALID',
      message: expect.stringMatching(
        /^\S+broken\.json is not valid JSON \(.*\); write it as UVR's model-data entry, the keys compensate, mdx_dim_f_set/,
      ),
    });
  });

  // A model linked into models/ from UVR's own folder had its parameters looked for beside the link only: a
  // model UVR knows from its model_data/ failed with MODEL_UNKNOWN. They are now found beside the file the
  // link leads to too, and those beside the link still win.
  it('finds the parameters of a linked model beside the file it links to, and those beside the link first', async () => {
    const entry = (dimT: number, stem = 'Vocals') => ({
      compensate: 1.02,
      mdx_dim_f_set: 1024,
      mdx_dim_t_set: Math.log2(dimT),
      mdx_n_fft_scale_set: 2048,
      primary_stem: stem,
    });
    const models = join(dir, 'linked-root', 'models');
    const uvr = join(models, 'UVR', 'MDX_Net_Models');
    await mkdir(join(uvr, 'model_data'), { recursive: true });
    const bytes = (dimT: number) => identityGraph({ dimF: 1024, dimT });
    // UVR was given this model's parameters: model_data/<hash>.json beside the real file.
    const given = await writeModel(join(uvr, 'given.onnx'), bytes(16));
    const givenData = join(uvr, 'model_data', `${await mdxModelHash(given)}.json`);
    await writeFile(givenData, JSON.stringify(entry(16)));
    // In UVR's own table beside the real file.
    const listed = await writeModel(join(uvr, 'listed.onnx'), bytes(32));
    const table = join(uvr, 'model_data', 'model_data.json');
    await writeFile(table, JSON.stringify({ [await mdxModelHash(listed)]: entry(32, 'Instrumental') }));
    // <model>.json beside the real file.
    const own = await writeModel(join(uvr, 'own.onnx'), bytes(64));
    await writeFile(join(uvr, 'own.json'), JSON.stringify(entry(64)));

    const cases = [
      ['given-link.onnx', given, 16, givenData, 'Vocals'],
      ['listed-link.onnx', listed, 32, table, 'Instrumental'],
      ['own-link.onnx', own, 64, join(uvr, 'own.json'), 'Vocals'],
    ] as const;
    for (const [name, target, dimT, from, stem] of cases) {
      const link = join(models, name);
      await symlink(target, link);
      expect(await resolveMdxModelParams(link)).toMatchObject({ dimT, dataFile: from, primaryStem: stem });
      const report = await inspectMdxModel(link, { open: true });
      expect(report.problem, name).toBeNull();
      expect((await createMdxEngine({ model: link })).params).toMatchObject({ dim_t: dimT });
      // The worker notices a change to the files beside the real model too.
      expect(await mdxModelDataFiles(link)).toEqual(
        expect.arrayContaining([
          join(uvr, `${name.replace('-link.onnx', '')}.json`),
          join(uvr, 'model_data'),
          table,
        ]),
      );
    }

    // The user's own <model>.json beside the link wins over what sits beside the real file, and so does a
    // model_data/<hash>.json beside the link.
    const mine = join(models, 'mine.onnx');
    await symlink(given, mine);
    await writeFile(join(models, 'mine.json'), JSON.stringify(entry(8)));
    expect(await resolveMdxModelParams(mine)).toMatchObject({ dimT: 8, dataFile: join(models, 'mine.json') });
    await mkdir(join(models, 'model_data'));
    const beside = join(models, 'model_data', `${await mdxModelHash(own)}.json`);
    await writeFile(beside, JSON.stringify(entry(8)));
    expect(await resolveMdxModelParams(join(models, 'own-link.onnx'))).toMatchObject({
      dimT: 8,
      dataFile: beside,
    });

    // A link to a model nobody knows names both places a .json could go.
    const unknown = await writeModel(join(uvr, 'unknown.onnx'), bytes(128));
    const unknownLink = join(models, 'unknown-link.onnx');
    await symlink(unknown, unknownLink);
    const error = (await inspectMdxModel(unknownLink)).problem;
    expect(error?.code).toBe('MODEL_UNKNOWN');
    expect(error?.message).toContain(
      `has no ${join(models, 'unknown-link.json')} (nor beside the file it links to, ${join(uvr, 'unknown.json')})`,
    );
  });

  it('says a model whose input is not [batch, 4, dim_f, dim_t] is not an MDX-Net model', async () => {
    for (const [name, dims] of [
      ['rank3', [4, 1024, 16]],
      ['two-channels', ['batch', 2, 1024, 16]],
    ] as const) {
      const model = await writeModel(join(dir, `${name}.onnx`), identityWithDims(SHAPE, [...dims]), SHAPE);
      const error = await errorOf(dir, { model });
      expect(isImkError(error, 'MODEL_SHAPE_MISMATCH'), name).toBe(true);
      expect((error as Error).message).toContain(
        `${name}.onnx takes input input of shape [${dims.join(', ')}]`,
      );
      expect((error as Error).message).toContain('an MDX-Net model takes [batch, 4, dim_f, dim_t]');
      expect((error as Error).message).not.toContain('fix mdx_dim_f_set');
    }
  });

  it('says a model made for a fixed batch of more than one chunk cannot be run, before any audio is read', async () => {
    // UVR runs one chunk at a time; such a model failed on the first chunk, after the song was decoded, as
    // MODEL_INVALID telling the user to check mdx_dim_f_set / mdx_dim_t_set. A fixed batch of 1 runs.
    const fixed = await writeModel(
      join(dir, 'batch-2.onnx'),
      identityWithDims(SHAPE, [2, 4, SHAPE.dimF, SHAPE.dimT]),
      SHAPE,
    );
    const error = await errorOf(dir, { model: fixed });
    expect(isImkError(error, 'MODEL_SHAPE_MISMATCH'), String(error)).toBe(true);
    expect((error as Error).message).toContain(
      `batch-2.onnx takes input input of shape [2, 4, ${SHAPE.dimF}, ${SHAPE.dimT}]: batches of exactly 2 chunks`,
    );
    expect((error as Error).message).not.toContain('check mdx_dim_f_set');
    expect((await inspectMdxModel(fixed, { open: true })).problem?.message).toBe((error as Error).message);
    const one = await writeModel(
      join(dir, 'batch-1.onnx'),
      identityWithDims(SHAPE, [1, 4, SHAPE.dimF, SHAPE.dimT]),
      SHAPE,
    );
    expect((await inspectMdxModel(one, { open: true, tryRun: true })).problem).toBeNull();
  });

  it('says a model converted to float16 cannot be run, before any audio is read and in imk doctor', async () => {
    // It passed imk doctor and imk models --check, and every job failed with ONNX Runtime's bare
    // "Unexpected input data type", no code, so it was retried as an unknown error.
    for (const [which, what] of [
      ['both', 'takes its input input as float16'],
      ['output', 'returns its output output as float16'],
    ] as const) {
      const model = await writeModel(join(dir, `half-${which}.onnx`), float16Graph(SHAPE, which), SHAPE);
      const error = await errorOf(dir, { model });
      expect(isImkError(error, 'MODEL_SHAPE_MISMATCH'), String(error)).toBe(true);
      expect((error as Error).message).toContain(`half-${which}.onnx ${what}; an MDX-Net model`);
      expect((await inspectMdxModel(model, { open: true })).problem?.message).toBe((error as Error).message);
    }
  });

  it('says which model failed when ONNX Runtime cannot run it, not retried; imk doctor finds it with one chunk', async () => {
    // ONNX Runtime's bare "Non-zero status code returned while running Reshape node" reached the job, with
    // no model named and no code (so retried), and imk doctor passed the model.
    const model = await writeModel(join(dir, 'fails.onnx'), failsWhenRunGraph(SHAPE), SHAPE);
    const song = join(dir, 'fails-song.wav');
    await musicLikeFile(song, { seconds: 1 });
    const workDir = join(dir, 'work-fails');
    await mkdir(workDir);
    const error = await (
      await createMdxEngine({ model })
    )
      .separate({ input: song, workDir })
      .catch((e: unknown) => e);
    expect(isImkError(error, 'MODEL_INVALID'), String(error)).toBe(true);
    expect((error as Error).message).toContain(
      `ONNX Runtime could not run MDX model ${model} on an input of [1, 4, 1024, 16] (dim_f 1024, dim_t 16, from ${join(dir, 'fails.json')}): `,
    );
    expect((await inspectMdxModel(model, { open: true })).problem).toBeNull();
    expect((await inspectMdxModel(model, { open: true, tryRun: true })).problem?.code).toBe('MODEL_INVALID');
  });
});

describe('mdx model files that cannot be read', () => {
  // "MDX model x.onnx cannot be read: it is a folder, not a regular file: x.onnx is a folder, not a regular
  // file": errorMessage appended the cause the message had already put in words. Said once now.
  it('say what is wrong once, in the message a user reads (errorMessage)', async () => {
    await mkdir(join(dir, 'folder.onnx'));
    execFileSync('mkfifo', [join(dir, 'pipe.onnx')]);
    await writeModel(join(dir, 'json-folder.onnx'), identityGraph(SHAPE));
    await mkdir(join(dir, 'json-folder.json'));
    const cases = [
      ['folder.onnx', 'it is a folder, not a regular file'],
      ['pipe.onnx', 'it is a FIFO (named pipe), not a regular file'],
      ['absent.onnx', 'it does not exist'],
      ['json-folder.onnx', 'json-folder.json cannot be read: it is a folder, not a regular file'],
    ] as const;
    for (const [model, said] of cases) {
      let error: unknown;
      try {
        await resolveMdxModelParams(join(dir, model));
      } catch (e) {
        error = e;
      }
      const message = errorMessage(error);
      expect(message, model).toContain(said);
      expect(message, model).toBe((error as Error).message);
      expect(message.split('not a regular file').length, message).toBeLessThanOrEqual(2);
    }
  });
});
