import { ImkError } from '@imk/errors';
import { createEngine, type SeparationEngine } from '@imk/separation';

/**
 * The engine of `--engine <name> [--model <file.onnx>]`, for every command that separates (`imk separate`,
 * `imk eval`): `--model` goes with `--engine mdx` and mdx needs it, said in those words rather than as a
 * schema error about `mdx.model`.
 */
export async function engineFromOptions(options: {
  engine: string;
  model?: string;
}): Promise<SeparationEngine> {
  if (options.model !== undefined && options.engine !== 'mdx')
    throw new ImkError('OPTIONS_INVALID', `--model is for --engine mdx, not --engine ${options.engine}`);
  if (options.engine === 'mdx' && options.model === undefined)
    throw new ImkError('OPTIONS_INVALID', '--engine mdx needs --model <file.onnx> (a UVR MDX-Net model)');
  return createEngine(options.engine, options.model === undefined ? {} : { model: options.model });
}
