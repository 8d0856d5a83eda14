// `imk migrate`'s copies of the config files it replaced, `state/migrate/<file>.<time>[-<n>]`: written by the
// CLI, pruned by cleanup (@imk/ops). The one place their names are spelt and read.

/** `<file>.<time>` (the time as an ISO date with `:` as `-`, so that it is a valid name on SMB too), then `-2`, `-3`… */
export function migrateCopyName(file: string, when: Date, n = 1): string {
  const stamp = when.toISOString().replaceAll(':', '-');
  return n === 1 ? `${file}.${stamp}` : `${file}.${stamp}-${String(n)}`;
}

const COPY_NAME = /^(.+)\.(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z)(?:-(\d+))?$/;

/** The file a copy is of, and when it was made (with its number, for copies made in the same millisecond). */
export function parseMigrateCopyName(name: string): { file: string; stamp: string; n: number } | undefined {
  const match = COPY_NAME.exec(name);
  if (match === null) return undefined;
  return { file: match[1]!, stamp: match[2]!, n: match[3] === undefined ? 1 : Number(match[3]) };
}

/** The newest copy of each file among these names (copies by name; other names are left out). */
export function newestMigrateCopies(names: readonly string[]): Set<string> {
  const newest = new Map<string, { name: string; stamp: string; n: number }>();
  for (const name of names) {
    const copy = parseMigrateCopyName(name);
    if (copy === undefined) continue;
    const best = newest.get(copy.file);
    if (best === undefined || copy.stamp > best.stamp || (copy.stamp === best.stamp && copy.n > best.n))
      newest.set(copy.file, { name, stamp: copy.stamp, n: copy.n });
  }
  return new Set([...newest.values()].map((c) => c.name));
}
