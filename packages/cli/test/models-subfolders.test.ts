// UVR users keep their models in folders (UVR's own MDX_Net_Models/ with its model_data/, one folder per
// source), and copy those folders into <root>/models/ as they are. A job or a song's options file could name
// models/UVR/MDX_Net_Models/x.onnx and the worker ran it, but `imk models` listed only the files directly in
// models/ ("no .onnx models" for a root whose models were all in subfolders) and `imk doctor` never checked
// them. Both now look in subfolders, name each model as a job names it (models/<subfolder>/<file>.onnx), and
// report a link out of models/ as what the worker would refuse.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identityGraph, identityWithDims, writeModel } from '@imk/separation/testing';
import { mdxModelHash } from '@imk/separation';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';

const SHAPE = { nFft: 2048, dimF: 1024, dimT: 16 };
let root = '';
let elsewhere = '';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-models-sub-'));
  elsewhere = await mkdtemp(join(tmpdir(), 'imk-models-elsewhere-'));
  const uvr = join(root, 'models', 'UVR', 'MDX_Net_Models');
  await mkdir(join(uvr, 'model_data'), { recursive: true });
  await writeModel(join(root, 'models', 'top.onnx'), identityGraph(SHAPE), {
    ...SHAPE,
    primaryStem: 'Vocals',
  });
  // UVR's layout: the parameters of a model it did not know, in model_data/<hash>.json.
  const deep = await writeModel(join(uvr, 'deep.onnx'), identityGraph(SHAPE));
  await writeFile(
    join(uvr, 'model_data', `${await mdxModelHash(deep)}.json`),
    JSON.stringify({
      compensate: 1.02,
      mdx_dim_f_set: 1024,
      mdx_dim_t_set: 4,
      mdx_n_fft_scale_set: 2048,
      primary_stem: 'Instrumental',
    }),
  );
  await mkdir(join(root, 'models', 'broken', 'deeper'), { recursive: true });
  await writeModel(
    join(root, 'models', 'broken', 'deeper', 'wrong.onnx'),
    identityWithDims(SHAPE, ['batch', 4, 512, 16]),
    SHAPE,
  );
  await writeModel(join(elsewhere, 'outside.onnx'), identityGraph(SHAPE), {
    ...SHAPE,
    primaryStem: 'Vocals',
  });
  await symlink(join(elsewhere, 'outside.onnx'), join(root, 'models', 'linked.onnx'));
  await symlink(elsewhere, join(root, 'models', 'linked-folder'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(elsewhere, { recursive: true, force: true });
});

const run = (args: string[]) => execa(process.execPath, [IMK, ...args], { reject: false, timeout: 60_000 });

describe('models in subfolders of models/', () => {
  it('imk models lists them by the name a job gives them, and says which leave models/', async () => {
    const r = await run(['models', '--root', root, '--check']);
    expect(r.exitCode, r.stderr).toBe(1);
    const heads = r.stdout.split('\n').filter((l) => /^\S/.test(l));
    expect(heads.map((l) => l.split('  ')[0])).toEqual([
      'models/UVR/MDX_Net_Models/deep.onnx',
      'models/broken/deeper/wrong.onnx',
      'models/linked-folder',
      'models/linked.onnx',
      'models/top.onnx',
    ]);
    expect(r.stdout).toMatch(
      /models\/UVR\/MDX_Net_Models\/deep\.onnx {2}[0-9a-f]{32}\n[^\n]*parameters from [^\n]*model_data\/[0-9a-f]{32}\.json\n[^\n]*primary stem Instrumental\n {2}input shape \[batch_size, 4, 1024, 16\]: ok/,
    );
    expect(r.stdout).toMatch(/models\/broken\/deeper\/wrong\.onnx[^]*\[batch, 4, 512, 16\]/);
    expect(r.stdout).toMatch(/models\/linked\.onnx is a symbolic link that leaves models\//);
    expect(r.stdout).toMatch(/models\/linked-folder is a symbolic link that leaves models\//);
  });

  it('imk doctor checks them and names the ones that are wrong', async () => {
    const r = await run(['doctor', '--root', root]);
    const line = (r.stdout + r.stderr).split('\n').find((l) => l.includes('MDX-Net models')) ?? '';
    expect(line).toMatch(/models\/broken\/deeper\/wrong\.onnx: MDX model .* takes input input of shape/);
    expect(line).toMatch(
      /models\/linked\.onnx: MDX model .*linked\.onnx is a symbolic link that leaves models\//,
    );
    expect(line).not.toContain('deep.onnx');
    expect(r.stdout + r.stderr).toContain('copy the model (or the folder of models) into models/');
  }, 60_000);

  it('imk doctor fails a configured model that leaves models/, as the worker refuses it', async () => {
    await mkdir(join(root, 'config'), { recursive: true });
    await writeFile(
      join(root, 'config', 'instrumental-maker.yaml'),
      'engine:\n  name: mdx\n  model: models/linked-folder/outside.onnx\n',
    );
    try {
      const r = await run(['doctor', '--root', root]);
      expect(r.stdout + r.stderr).toMatch(
        /FAIL +separation engine +MDX model .*models\/linked-folder is a symbolic link that leaves models\//,
      );
    } finally {
      await rm(join(root, 'config'), { recursive: true, force: true });
    }
  }, 60_000);

  // models/top.onnx/x.onnx (a file where a folder should be) was told "copy the model there instead of linking
  // to it", with the fix for links: there is no link. It is now told what is wrong with the name, and how to
  // name the model.
  it('says a model named through a file, as if it were a folder, is named wrongly (not linked)', async () => {
    await mkdir(join(root, 'config'), { recursive: true });
    await writeFile(
      join(root, 'config', 'instrumental-maker.yaml'),
      'engine:\n  name: mdx\n  model: models/top.onnx/x.onnx\n',
    );
    try {
      const r = await run(['doctor', '--root', root]);
      const out = r.stdout + r.stderr;
      expect(out).toMatch(
        /FAIL +separation engine +MDX model .*models\/top\.onnx\/x\.onnx: models\/top\.onnx is a regular file, not a folder, so nothing can be inside it; name the model by its path in models\/ as imk models lists it/,
      );
      expect(out).toContain(
        'name the model by its path in models/ as imk models lists it (models/<subfolder>/<file>.onnx)',
      );
      expect(out).not.toMatch(/x\.onnx[^\n]*instead of linking/);
    } finally {
      await rm(join(root, 'config'), { recursive: true, force: true });
    }
  }, 60_000);
});
