import { ImkError } from '@imk/errors';
import {
  evalReportJson,
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
import { contextFrom, print } from '../context.ts';
import { engineFromOptions } from '../engine-option.ts';
import '../errors.ts';

interface EvalOptions {
  json?: boolean;
  engine: string;
  model?: string;
  items?: string;
  split: string;
  dir?: string;
  corpusDir?: string;
  root?: string;
}

const SPLITS: Record<string, EvalSplit[]> = { test: ['test'], tune: ['tune'], all: ['tune', 'test'] };

/** `imk eval` */
export async function evalCommand(options: EvalOptions): Promise<void> {
  const limit = options.items === undefined ? undefined : Number(options.items);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    throw new ImkError('INVALID_OPTION', `--items must be a whole number >= 1, got "${options.items}"`);
  const splits = SPLITS[options.split];
  if (splits === undefined)
    throw new ImkError('INVALID_OPTION', `--split must be test, tune or all, got "${options.split}"`);
  const engine = await engineFromOptions(options);
  const { paths } = contextFrom(options);
  const work = await mkdtemp(join(tmpdir(), 'imk-eval-cli-'));
  try {
    const say = (line: string) => process.stderr.write(`${line}\n`);
    let sets: EvalSet[];
    if (options.dir !== undefined) {
      sets = [await musdbFolderSet(options.dir)];
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
    const report = await evaluateEngine({
      engine,
      sets,
      onTrack: ({ name, index, total }) => say(`song ${index} of ${total}: ${name}`),
    });
    print(options.json === true ? evalReportJson(report) : formatEvalTable(report, shown));
    const failed = report.sets.flatMap((set) => set.failed.map((f) => `${f.name}: ${f.message} [${f.code}]`));
    if (failed.length > 0) {
      // The figures of the other songs are printed above; the exit status says not every song was scored.
      say(
        options.json === true
          ? `${failed.length} of ${tracks} songs could not be evaluated (in "failed" above):\n  ${failed.join('\n  ')}`
          : `${failed.length} of ${tracks} songs could not be evaluated (named in the notes above)`,
      );
      process.exitCode = 1;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
