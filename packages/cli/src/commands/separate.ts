import type { Command } from 'commander';
import {
  AUDIO_FORMATS,
  DEFAULT_ENGINE,
  DEFAULT_FORMAT,
  DEFAULT_VARIANTS,
  ENGINE_NAMES,
  PITCH_LIMITS,
  SAMPLE_RATE_RANGE,
  STEM_NAMES,
  TEMPO_LIMITS,
} from './choices.ts';
import { lazyAction } from './lazy-action.ts';
import { withExamples } from './examples.ts';
import { withRoot } from './root-option.ts';

export function registerSeparate(program: Command): void {
  withExamples(
    withRoot(
      program
        .command('separate')
        .argument('<input>', 'audio or video file (any format ffmpeg reads)')
        .requiredOption('--out <dir>', 'folder the variants (and stems) are written to')
        .option('--engine <name>', `separation engine: ${ENGINE_NAMES.join(', ')}`, DEFAULT_ENGINE)
        .option('--model <file.onnx>', 'the MDX-Net model for --engine mdx (a UVR .onnx file)')
        .option('--stems', `also write the stems (${STEM_NAMES.join(', ')})`)
        .option(
          '--variants <list>',
          `variants to write, comma-separated: names (instrumental, no_drums, drums_only, vocals) or recipes such as karaoke=bass+other or inst=mixture-vocals; add @-2 to transpose (semitones, ${PITCH_LIMITS.min} to +${PITCH_LIMITS.max}) and @0.8x to change the tempo (${TEMPO_LIMITS.min} to ${TEMPO_LIMITS.max.toFixed(1)}, the pitch kept), e.g. instrumental@-2`,
          DEFAULT_VARIANTS.join(','),
        )
        .option('--format <format>', `output format: ${AUDIO_FORMATS.join(', ')}`, DEFAULT_FORMAT)
        .option(
          '--sample-rate <hz>',
          `sample rate of the files written, ${SAMPLE_RATE_RANGE.min} to ${SAMPLE_RATE_RANGE.max} Hz (default: the input's, so they line up in the same session, or as m4a or mp3 the highest rate the format takes below it)`,
        )
        .option(
          '--overwrite',
          'replace files of the same names in --out (without it, they are kept and nothing is written)',
        )
        .description('separate one file into stems and write its instrumental variants, without the queue'),
    ),
    [
      [
        'imk separate song.mp3 --out out',
        `the default variants (${DEFAULT_VARIANTS.join(', ')}), as ${DEFAULT_FORMAT}`,
      ],
      [
        'imk separate song.mp3 --out out --variants instrumental@-2,vocals',
        'the instrumental two semitones down, and the vocals alone (a cappella)',
      ],
      [
        'imk separate song.mp3 --out out --variants instrumental@0.8x',
        'the instrumental at 80% of the tempo, the key kept',
      ],
      ['imk separate song.flac --out out --stems --format wav', 'also the four stems; every file as WAV'],
    ],
  ).action(lazyAction(async () => (await import('../actions/separate.ts')).separateCommand));
}
