import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createMdxEngine, type MdxEngineOptions } from '../src/engines/mdx.ts';

/** The shape of the tiny models the tests of the mdx engine's model files build. */
export const SHAPE = { nFft: 2048, dimF: 1024, dimT: 16 };

/** The error of separating a song that does not exist (in `dir`): the model is opened and checked first. */
export async function errorOf(dir: string, options: MdxEngineOptions): Promise<unknown> {
  const workDir = join(dir, `work-${Math.random().toString(36).slice(2)}`);
  await mkdir(workDir);
  return (await createMdxEngine(options))
    .separate({ input: join(dir, 'no song.wav'), workDir })
    .catch((e: unknown) => e);
}
