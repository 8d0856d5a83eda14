// imk doctor told a user whose model was not there as a file (absent, a named pipe, a link to a drive not mounted)
// to "give the model a <model>.json beside it … or copy the file again": a .json cannot help a model that is not
// there. Its fix now says to put the model itself there; a model that is there but unknown is still told to give
// it a .json.
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolvePaths } from '@imk/config';
import { identityGraph } from '@imk/separation/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mdxEngineCheck, modelsCheck } from '../src/model-checks.ts';
import { makeRoot, removeRoot } from './helpers.ts';

const SHAPE = { nFft: 2048, dimF: 1024, dimT: 16 };

let root = '';
beforeAll(async () => {
  root = await makeRoot({});
  await mkdir(join(root, 'models'), { recursive: true });
});
afterAll(() => removeRoot(root));

describe('imk doctor: a model that is not there as a file', () => {
  it('says to put the model there, not to give it a .json, for the configured model and those in models/ (a .json for an unknown one)', async () => {
    const paths = resolvePaths(root);
    execFileSync('mkfifo', [join(root, 'models', 'pipe.onnx')]);
    await symlink(join(root, 'unmounted', 'x.onnx'), join(root, 'models', 'linked.onnx'));
    for (const model of ['models/absent.onnx', 'models/pipe.onnx', 'models/linked.onnx']) {
      const result = await mdxEngineCheck({ model }, paths);
      expect(result.status, model).toBe('fail');
      expect(result.fix, model).toContain('put the model itself there as a regular file');
      expect(result.fix, model).not.toContain('.json');
    }
    const folder = await modelsCheck.run({ paths, env: {}, now: new Date() });
    expect(folder.status).toBe('warn');
    expect(folder.summary).toContain('models/pipe.onnx');
    expect(folder.summary).toContain('models/linked.onnx');
    expect(folder.fix).toContain('put the model itself there as a regular file');
    expect(folder.fix).not.toContain('.json');
    // A model that is there but unknown is still told to give it a .json.
    await writeFile(join(root, 'models', 'unknown.onnx'), identityGraph(SHAPE));
    const unknown = await mdxEngineCheck({ model: 'models/unknown.onnx' }, paths);
    expect(unknown.status).toBe('fail');
    expect(unknown.summary).toContain('is not a known model');
    expect(unknown.fix).toContain('give the model a <model>.json beside it');
    expect(unknown.fix).not.toContain('put the model itself there');
  }, 60_000);
});
