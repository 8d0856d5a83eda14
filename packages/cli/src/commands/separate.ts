import type { Command } from 'commander';
import { AUDIO_FORMATS, ENGINE_NAMES } from './choices.ts';
import { lazyAction } from './lazy-action.ts';
import { withRoot } from './root-option.ts';

export function registerSeparate(program: Command): void {
  withRoot(
    program
      .command('separate')
      .argument('<input>', 'audio or video file (any format ffmpeg reads)')
      .requiredOption('--out <dir>', 'folder the variants (and stems) are written to')
      .option('--engine <name>', `separation engine: ${ENGINE_NAMES.join(', ')}`, 'builtin')
      .option('--model <file.onnx>', 'the MDX-Net model for --engine mdx (a UVR .onnx file)')
      .option('--stems', 'also write the four stems (vocals, drums, bass, other)')
      .option(
        '--variants <list>',
        'variants to write: names (instrumental, no_drums, drums_only, vocals) or recipes such as karaoke=bass+other or inst=mixture-vocals; add @-2 to transpose (semitones) and @0.8x to change the tempo, e.g. instrumental@-2',
        'instrumental,no_drums,drums_only',
      )
      .option('--format <format>', `output format: ${AUDIO_FORMATS.join(', ')}`, 'm4a')
      .option(
        '--sample-rate <hz>',
        "sample rate of the files written, 8000 to 192000 (default: the input's, so they line up in the same session)",
      )
      .option(
        '--overwrite',
        'replace files of the same names in --out (without it, they are kept and nothing is written)',
      )
      .description('separate one file into stems and write its instrumental variants, without the queue'),
  ).action(lazyAction(async () => (await import('../actions/separate.ts')).separateCommand));
}
