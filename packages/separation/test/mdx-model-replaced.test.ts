// A model file replaced between the engine reading its hash and ONNX Runtime opening it (a copy in progress,
// a newer download moved in): the session ran the new file while the manifest recorded the old file's hash
// (engine.params.model_hash, the stem cache's key), and the parameters chosen by that hash. The file opened
// is now checked to be the one hashed (device, inode, size, modification time), before and after the open,
// and a change is refused with MODEL_CHANGED (retried: the worker then makes a new engine of the new file).
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isImkError, isRetryableError } from '@imk/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMdxEngine } from '../src/engines/mdx.ts';
import { mdxModelHash } from '../src/mdx/model-hash.ts';
import { ORT_SESSIONS, type MdxSessionFactory } from '../src/mdx/model-session.ts';
import { makeTempDir, musicLikeFile } from './audio-fixtures.ts';
import { identityGraph, identityWithDims, writeModel } from './mdx-graphs.ts';
import { SHAPE } from './mdx-model-kit.ts';
import '../src/errors.ts';

let dir = '';
let song = '';
let cleanup: () => Promise<void> = () => Promise.resolve();
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('imk-mdx-replaced-'));
  song = join(dir, 'song.wav');
  await musicLikeFile(song, { seconds: 1 });
});
afterAll(() => cleanup());

const data = { ...SHAPE, primaryStem: 'Vocals' };
// Another model the same parameters fit (a fixed batch of 1 rather than a free one): other bytes, another hash.
const other = () => identityWithDims(SHAPE, [1, 4, SHAPE.dimF, SHAPE.dimT]);

async function workDir(): Promise<string> {
  const path = join(dir, `work-${Math.random().toString(36).slice(2)}`);
  await mkdir(path);
  return path;
}

describe('mdx engine: a model replaced after its hash was read', () => {
  it('refuses to run a file other than the one hashed, whenever it was replaced', async () => {
    const cases: [string, (model: string) => Promise<void>][] = [
      // Copied over in place (same inode, new size and time), as cp does.
      ['copied over', (model) => writeFile(model, other())],
      // Renamed into place (a new inode), as a careful download does.
      [
        'renamed into place',
        async (model) => {
          await writeFile(`${model}.part`, other());
          await rename(`${model}.part`, model);
        },
      ],
    ];
    for (const [how, replace] of cases) {
      const model = await writeModel(join(dir, `${how.replace(/ /g, '-')}.onnx`), identityGraph(SHAPE), data);
      const engine = await createMdxEngine({ model, threads: 1 });
      const hashed = engine.params.model_hash;
      await replace(model);
      expect(await mdxModelHash(model)).not.toBe(hashed);
      const error = await engine.separate({ input: song, workDir: await workDir() }).catch((e: unknown) => e);
      expect(isImkError(error, 'MODEL_CHANGED'), `${how}: ${String(error)}`).toBe(true);
      expect((error as Error).message).toContain(model);
      expect((error as Error).message).toContain(`changed after its hash ${String(hashed)} was read`);
      expect(isRetryableError(error)).toBe(true);
      await engine.close?.();
      // An engine made now hashes the new file and runs it.
      const again = await createMdxEngine({ model, threads: 1 });
      expect(again.params.model_hash).toBe(await mdxModelHash(model));
      const result = await again.separate({ input: song, workDir: await workDir() });
      expect(result.frames).toBeGreaterThan(0);
      await again.close?.();
    }
  });

  it('refuses a file replaced while ONNX Runtime opened it', async () => {
    const model = await writeModel(join(dir, 'during-open.onnx'), identityGraph(SHAPE), data);
    let released = 0;
    // ONNX Runtime's own sessions; the file is replaced as the first one opens.
    const factory: MdxSessionFactory = {
      providers: () => ORT_SESSIONS.providers(),
      async create(file, options) {
        const real = await ORT_SESSIONS.create(file, options);
        await writeFile(file, other());
        return {
          inputMetadata: real.inputMetadata,
          outputMetadata: real.outputMetadata,
          outputNames: real.outputNames,
          run: (feeds) => real.run(feeds),
          release: async () => {
            released++;
            await real.release();
          },
        };
      },
    };
    const engine = await createMdxEngine({ model, threads: 1 }, { sessionFactory: factory });
    const error = await engine.separate({ input: song, workDir: await workDir() }).catch((e: unknown) => e);
    expect(isImkError(error, 'MODEL_CHANGED'), String(error)).toBe(true);
    // The session opened on the new file is let go of, not kept for the next job.
    expect(released).toBe(1);
    await engine.close?.();
  });
});
