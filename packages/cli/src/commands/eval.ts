import type { Command } from 'commander';
import { ImkError } from '@imk/errors';
import {
  ENGINE_NAMES,
  createEngine,
  evaluateEngine,
  formatEvalTable,
  musdbFolderSet,
  gmCorpusSets,
  musdbSampleSet,
  type EvalSet,
  type EvalSplit,
} from '@imk/separation';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextFrom, print, withRoot } from '../context.ts';

interface EvalOptions {
  json?: boolean;
  engine: string;
  items?: string;
  split: string;
  dir?: string;
  corpusDir?: string;
  root?: string;
}

const SPLITS: Record<string, EvalSplit[]> = { test: ['test'], tune: ['tune'], all: ['tune', 'test'] };

export function registerEval(program: Command): void {
  withRoot(
    program
      .command('eval')
      .option('--json', 'print the results as JSON (figures per song) instead of a table')
      .option('--engine <name>', `engine to measure: ${ENGINE_NAMES.join(' or ')}`, 'builtin')
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
  ).action((options: EvalOptions) => runEval(options));
}

async function runEval(options: EvalOptions): Promise<void> {
  const limit = options.items === undefined ? undefined : Number(options.items);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    throw new ImkError('INVALID_OPTION', `--items must be a whole number >= 1, got "${options.items}"`);
  const splits = SPLITS[options.split];
  if (splits === undefined)
    throw new ImkError('INVALID_OPTION', `--split must be test, tune or all, got "${options.split}"`);
  const engine = createEngine(options.engine);
  const { paths } = contextFrom(options);
  const work = await mkdtemp(join(tmpdir(), 'imk-eval-cli-'));
  try {
    const say = (line: string) => process.stderr.write(`${line}\n`);
    let sets: EvalSet[];
    if (options.dir !== undefined) {
      sets = [musdbFolderSet(options.dir)];
    } else {
      say('preparing the real excerpt and the General MIDI songs (rendered once, then cached)...');
      sets = [
        await musdbSampleSet(work, { root: paths.root }),
        ...(await gmCorpusSets({
          splits,
          ...(options.corpusDir === undefined ? {} : { cacheDir: options.corpusDir }),
          ...(limit === undefined ? {} : { limit }),
        })),
      ].filter((set) => splits.includes(set.split));
    }
    const shown = options.dir === undefined ? splits : (['test'] as EvalSplit[]);
    const tracks = sets.reduce((n, s) => n + s.tracks.length, 0);
    say(`separating ${tracks} songs with the ${engine.name} engine...`);
    const report = await evaluateEngine({ engine, sets });
    print(options.json === true ? JSON.stringify(report, null, 2) : formatEvalTable(report, shown));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
