import type { Command } from 'commander';
import { ImkError } from '@imk/errors';
import {
  ENGINE_NAMES,
  createEngine,
  evaluateEngine,
  formatEvalTable,
  musdbSampleSet,
  syntheticSet,
  type EvalSet,
} from '@imk/separation';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextFrom, print, withRoot } from '../context.ts';

interface EvalOptions {
  json?: boolean;
  engine: string;
  items?: string;
  corpusDir?: string;
  root?: string;
}

export function registerEval(program: Command): void {
  withRoot(
    program
      .command('eval')
      .option('--json', 'print the results as JSON instead of a table')
      .option('--engine <name>', `engine to measure: ${ENGINE_NAMES.join(' or ')}`, 'builtin')
      .option('--items <n>', 'use only the first n items of the synthetic corpus')
      .option(
        '--corpus-dir <dir>',
        'where the synthetic corpus is cached (default: $IMK_CORPUS_DIR or the temp folder)',
      )
      .description(
        'measure separation quality (SDR, museval v4) on the real MUSDB18 excerpt ($IMK_EVAL_DIR or ../shared/eval) and the synthetic corpus, against the floor and centre cancellation',
      ),
  ).action((options: EvalOptions) => runEval(options));
}

async function runEval(options: EvalOptions): Promise<void> {
  const limit = options.items === undefined ? undefined : Number(options.items);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    throw new ImkError('INVALID_OPTION', `--items must be a whole number >= 1, got "${options.items}"`);
  const engine = createEngine(options.engine);
  const { paths } = contextFrom(options);
  const work = await mkdtemp(join(tmpdir(), 'imk-eval-cli-'));
  try {
    const say = (line: string) => process.stderr.write(`${line}\n`);
    say('preparing the real excerpt and the synthetic corpus (generated once, then cached)...');
    const sets: EvalSet[] = [
      await musdbSampleSet(work, { root: paths.root }),
      await syntheticSet({
        ...(options.corpusDir === undefined ? {} : { cacheDir: options.corpusDir }),
        ...(limit === undefined ? {} : { limit }),
      }),
    ];
    const tracks = sets.reduce((n, s) => n + s.tracks.length, 0);
    say(`separating ${tracks} tracks with the ${engine.name} engine...`);
    const report = await evaluateEngine({ engine, sets });
    print(options.json === true ? JSON.stringify(report, null, 2) : formatEvalTable(report));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
