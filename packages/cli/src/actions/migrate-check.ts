import type { Document } from 'yaml';
import type { z } from 'zod';
import { PathsConfigSchema, validateConfig, type ConfigProblem, type LegacyChange } from '@imk/config';
import { loadService } from '../services.ts';
import type { MigrateLine } from './migrate-plan.ts';

/** A config file with the given changes applied (and nothing written). */
export type RenderConfig = (file: string, changes: LegacyChange[]) => Document;

async function schemaOf(file: string): Promise<z.ZodType> {
  return file === 'paths' ? PathsConfigSchema : (await loadService(file)).configSchema;
}

async function problemsOf(file: string, doc: Document): Promise<ConfigProblem[]> {
  const result = validateConfig(await schemaOf(file), doc.toJS());
  return result.ok ? [] : result.problems;
}

const key = (problem: ConfigProblem) => `${problem.path}\n${problem.message}`;

/** Whether a problem at one dotted path concerns a value written at another (the same, above or below). */
function concerns(problemPath: string, change: LegacyChange): boolean {
  const changePath = change.path.join('.');
  return (
    problemPath === changePath ||
    problemPath.startsWith(`${changePath}.`) ||
    changePath.startsWith(`${problemPath}.`)
  );
}

function changesByFile(lines: readonly MigrateLine[]): Map<string, LegacyChange[]> {
  const byFile = new Map<string, LegacyChange[]>();
  for (const line of lines)
    for (const change of line.changes) byFile.set(change.file, [...(byFile.get(change.file) ?? []), change]);
  return byFile;
}

function refused(line: MigrateLine, file: string, problem: ConfigProblem): MigrateLine {
  return {
    ...line,
    outcome: 'skipped',
    changes: [],
    text:
      `not written: config/${file}.yaml would be refused at start-up (${problem.path}: ${problem.message}; ` +
      `found ${problem.found}); correct ${line.key} and run imk migrate again, or set it in config/${file}.yaml`,
  };
}

/**
 * The plan's lines with every variable whose converted value its service would refuse moved to `skipped`,
 * saying why (the field, the schema's message, what to do): `imk migrate` must never write a config file
 * that `imk up` then refuses, whatever the earlier version's .env held (a loudness target out of range, a
 * route naming a remote root that is not set, …). Each file is checked with the schema its service loads
 * it with; problems the file already had before migrate are the user's and left alone. A variable is
 * dropped whole (all its changes), so nothing half-converted is written.
 */
export async function withoutRefusedChanges(
  lines: readonly MigrateLine[],
  render: RenderConfig,
): Promise<MigrateLine[]> {
  const before = new Map<string, Set<string>>();
  let current = [...lines];
  for (;;) {
    let dropped = false;
    for (const [file, changes] of changesByFile(current)) {
      if (!before.has(file)) before.set(file, new Set((await problemsOf(file, render(file, []))).map(key)));
      const known = before.get(file)!;
      const problems = (await problemsOf(file, render(file, changes))).filter((p) => !known.has(key(p)));
      if (problems.length === 0) continue;
      const writes = (line: MigrateLine) => line.changes.some((change) => change.file === file);
      for (const problem of problems) {
        const culprits = current.filter((line) =>
          line.changes.some((change) => change.file === file && concerns(problem.path, change)),
        );
        // A problem no one value explains (one setting against another): nothing of ours goes into that file.
        const chosen = culprits.length > 0 ? culprits : current.filter(writes);
        current = current.map((line) => (chosen.includes(line) ? refused(line, file, problem) : line));
      }
      dropped = true;
      break;
    }
    if (!dropped) return current;
  }
}
