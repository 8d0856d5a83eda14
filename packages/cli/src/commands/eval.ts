import type { Command } from 'commander';
import { DEFAULT_ENGINE, ENGINE_NAMES } from './choices.ts';
import { lazyAction } from './lazy-action.ts';
import { withRoot } from './root-option.ts';

export function registerEval(program: Command): void {
  withRoot(
    program
      .command('eval')
      .option('--json', 'print the results as JSON (figures per song) instead of a table')
      .option('--engine <name>', `engine to measure: ${ENGINE_NAMES.join(' or ')}`, DEFAULT_ENGINE)
      .option('--model <file.onnx>', 'the MDX-Net model for --engine mdx (a UVR .onnx file)')
      .option('--split <which>', 'songs to evaluate: test (held out), tune or all', 'test')
      .option('--dir <folder>', 'evaluate the songs of a folder in MUSDB layout instead (a test set)')
      .option('--items <n>', 'use only the first n songs of each General MIDI set (tune, test)')
      .option(
        '--corpus-dir <dir>',
        'where the synthetic corpus is cached (default: $IMK_CORPUS_DIR or the temp folder)',
      )
      .description(
        'measure separation quality (SDR, museval v4) against the floor, centre cancellation and REPET-SIM, on the held-out test songs (the real MUSDB18 excerpt and the General MIDI test songs), or on a MUSDB-layout folder',
      ),
  ).action(lazyAction(async () => (await import('../actions/eval.ts')).evalCommand));
}
