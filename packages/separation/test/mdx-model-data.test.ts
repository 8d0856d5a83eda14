// What a user writes beside a model (its `<model>.json`, UVR's model data) and how a model file that is not there
// is said, before any audio is read.
// - Numbers quoted ("compensate": "1.035", as UVR's own dialog holds them and posts often copy them) were refused
//   ("expected number, received string"); they are read as the numbers they are.
// - dim_t itself written as mdx_dim_t_set (256) was "must be between 1 and 12"; it now says the key is the power
//   of 2 and what to write.
// - A model that is a symbolic link to nothing (a drive or share not mounted) "does not exist", though `ls` and
//   `imk models` list it; it is now said to be a link, to what.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '@imk/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectMdxModel } from '../src/mdx/inspect.ts';
import { mdxModelHash } from '../src/mdx/model-hash.ts';
import { resolveMdxModelParams } from '../src/mdx/model-params.ts';
import { makeTempDir } from './audio-fixtures.ts';
import { SHAPE, errorOf } from './mdx-model-kit.ts';
import { identityGraph } from './mdx-graphs.ts';

let dir = '';
let cleanup: () => Promise<void> = () => Promise.resolve();
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('imk-mdx-data-'));
});
afterAll(() => cleanup());

/**
 * An identity model of SHAPE whose model_version is `tag` (a protobuf field appended: the last one read wins), so
 * that each has a hash of its own.
 */
const tagged = (tag: number) => Buffer.concat([identityGraph(SHAPE), Buffer.of(0x28, tag)]);

/** The error the engine gives for `model` (made, then run on a song that is not there), or undefined. */
const failure = (model: string) => errorOf(dir, { model }).catch((error: unknown) => error);

/** A model of SHAPE (tagged with `tag`) with `data` as its .json. */
async function modelWith(name: string, data: unknown, tag: number): Promise<string> {
  const model = join(dir, `${name}.onnx`);
  await writeFile(model, tagged(tag));
  if (data !== undefined) await writeFile(join(dir, `${name}.json`), JSON.stringify(data));
  return model;
}

const entry = {
  compensate: 1.035,
  mdx_dim_f_set: SHAPE.dimF,
  mdx_dim_t_set: Math.log2(SHAPE.dimT),
  mdx_n_fft_scale_set: SHAPE.nFft,
  primary_stem: 'Vocals',
};

describe("mdx engine: what a model's .json says", () => {
  it('reads numbers written as strings, beside the model and in UVR table form, and runs the model', async () => {
    const quoted = {
      compensate: '1.035',
      mdx_dim_f_set: ` ${SHAPE.dimF}`,
      mdx_dim_t_set: String(Math.log2(SHAPE.dimT)),
      mdx_n_fft_scale_set: `${SHAPE.nFft}`,
      primary_stem: 'Vocals',
      is_karaoke: 'false',
    };
    const beside = await modelWith('quoted', quoted, 1);
    expect(await resolveMdxModelParams(beside)).toMatchObject({
      nFft: SHAPE.nFft,
      dimF: SHAPE.dimF,
      dimT: SHAPE.dimT,
      compensate: 1.035,
      primaryStem: 'Vocals',
    });
    // UVR's own table beside the model, keyed by hash.
    await mkdir(join(dir, 'uvr', 'model_data'), { recursive: true });
    const inTable = join(dir, 'uvr', 'm.onnx');
    await writeFile(inTable, tagged(2));
    await writeFile(
      join(dir, 'uvr', 'model_data', 'model_data.json'),
      JSON.stringify({ [await mdxModelHash(inTable)]: quoted }),
    );
    expect((await resolveMdxModelParams(inTable)).dimT).toBe(SHAPE.dimT);
    // imk models / imk doctor pass it, opened and run once.
    const report = await inspectMdxModel(beside, { open: true, tryRun: true });
    expect(report.problem).toBeNull();
    expect(report.params?.compensate).toBe(1.035);
  });

  it('names the field and what was written when a string is not a number', async () => {
    const model = await modelWith('comma', { ...entry, compensate: '1,035', mdx_dim_f_set: 'full' }, 3);
    const error = await failure(model);
    expect(error).toMatchObject({ code: 'MODEL_DATA_INVALID' });
    const message = errorMessage(error);
    expect(message).toContain('compensate: must be a number, not "1,035"');
    expect(message).toContain('mdx_dim_f_set: must be a number, not "full"');
  });

  it('says mdx_dim_t_set is the power of 2 of dim_t, and what to write, when dim_t itself is given', async () => {
    const model = await modelWith('dim-t', { ...entry, mdx_dim_t_set: SHAPE.dimT }, 4);
    const error = await failure(model);
    expect(error).toMatchObject({ code: 'MODEL_DATA_INVALID' });
    expect(errorMessage(error)).toContain(
      `mdx_dim_t_set: must be from 1 to 12: it is the power of 2 of dim_t (dim_t = 2^mdx_dim_t_set); for dim_t ${SHAPE.dimT} write ${Math.log2(SHAPE.dimT)}`,
    );
    const report = await inspectMdxModel(model);
    expect(report.problem?.message).toContain(`for dim_t ${SHAPE.dimT} write ${Math.log2(SHAPE.dimT)}`);
  });
});

describe('mdx engine: a model that is a symbolic link to nothing', () => {
  it('says it is a link and to what (a drive not mounted), in the engine and in imk models / doctor', async () => {
    const target = join(dir, 'unmounted', 'Kim_Vocal_2.onnx');
    const model = join(dir, 'Kim_Vocal_2.onnx');
    await symlink(target, model);
    const said = `MDX model ${model} cannot be read: it is a symbolic link to ${target}, which is not there`;
    const error = await failure(model);
    expect(error).toMatchObject({ code: 'MODEL_MISSING' });
    expect(errorMessage(error)).toContain(said);
    // Said once: not followed by the cause's own "ENOENT: no such file or directory".
    expect(errorMessage(error)).not.toContain('ENOENT');
    const report = await inspectMdxModel(model, { modelsFolder: dir });
    expect(report.problem).toMatchObject({ code: 'MODEL_MISSING' });
    expect(report.problem?.message).toContain(said);
  });
});

describe('mdx engine: a UVR model of another architecture (.ckpt, .pth, safetensors)', () => {
  // UVR keeps its MDX23C / Roformer .ckpt and VR .pth models beside the MDX-Net .onnx ones; they were "not a
  // known model: write <model>.ckpt.json", and with that written, "a corrupt or truncated file".
  it('says it is not an ONNX model and what the engine runs, with or without a .json beside it', async () => {
    const header = JSON.stringify({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } });
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    const files: [string, Buffer, string][] = [
      // torch.save's zip archive (a local file header first), as Lightning's .ckpt is.
      [
        'MDX23C-8KFFT-InstVoc_HQ.ckpt',
        Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(64)]),
        'a PyTorch file',
      ],
      // torch.save's older format: a pickle (protocol 2) of an empty list.
      ['1_HP-UVR.pth', Buffer.from([0x80, 0x02, 0x5d, 0x71, 0x00, 0x2e]), 'a PyTorch file'],
      [
        'model.safetensors',
        Buffer.concat([length, Buffer.from(header), Buffer.alloc(4)]),
        'a safetensors file',
      ],
    ];
    for (const [name, bytes, kind] of files) {
      const model = join(dir, name);
      await writeFile(model, bytes);
      for (const withJson of [false, true]) {
        if (withJson) await writeFile(`${model}.json`, JSON.stringify(entry));
        const error = await failure(model);
        expect(error, name).toMatchObject({ code: 'MODEL_UNSUPPORTED' });
        const message = errorMessage(error);
        expect(message, name).toContain(`MDX model ${model} is ${kind}`);
        expect(message, name).toContain("runs UVR's MDX-Net .onnx models");
        expect(message, name).not.toContain('.json');
        const report = await inspectMdxModel(model, { open: true });
        expect(report.problem?.code, name).toBe('MODEL_UNSUPPORTED');
      }
    }
  });
});
