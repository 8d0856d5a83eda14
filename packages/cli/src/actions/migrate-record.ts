import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Document } from 'yaml';
import { z } from 'zod';
import { isImkError } from '@imk/errors';
import { readUntrustedJson, writeFileAtomic, writeJsonAtomic } from '@imk/fs-safe';
import { migrateCopyName, type LegacyChange } from '@imk/config';
import type { MigrateLine } from './migrate-plan.ts';

// `imk migrate` may be run again (the earlier .env changed, a variable was forgotten). What it wrote the
// last time is recorded in `state/migrate/written.json`: per config file and key, a sha256 of the value.
// A key whose value is no longer that one (or that is gone) was changed by the user, and a re-run keeps
// it. Only hashes are kept, so a value typed into a config file is never copied into state/.

const RecordSchema = z.object({
  schema_version: z.literal(1),
  /** config file name (`nas-sync`) -> JSON of the key's path -> sha256 of the JSON of the value written. */
  files: z.record(z.string(), z.record(z.string(), z.string())),
});
export type MigrateRecord = z.infer<typeof RecordSchema>;

const RECORD_FILE = 'written.json';

/** JSON with the keys of every object sorted: a map whose keys the user reordered is the same value. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'undefined';
}

export const valueHash = (value: unknown): string =>
  createHash('sha256').update(stableJson(value)).digest('hex');

const pathKey = (change: LegacyChange): string => JSON.stringify(change.path);

/** Largest record read back (a few kilobytes: one hash per key imk migrate wrote). */
const RECORD_MAX_BYTES = 1 << 20;

/** The record of earlier runs (empty when there was none, or when it cannot be read: then nothing is "yours"). */
export async function readMigrateRecord(dir: string): Promise<MigrateRecord> {
  const empty: MigrateRecord = { schema_version: 1, files: {} };
  try {
    const parsed = RecordSchema.safeParse(
      await readUntrustedJson(join(dir, RECORD_FILE), { maxBytes: RECORD_MAX_BYTES }),
    );
    return parsed.success ? parsed.data : empty;
  } catch (error) {
    if (isImkError(error, 'FILE_MISSING')) return empty;
    throw error;
  }
}

/** The record with every value this run wrote, written whole (temp file, rename). */
export async function writeMigrateRecord(
  dir: string,
  record: MigrateRecord,
  written: readonly LegacyChange[],
): Promise<void> {
  const files = structuredClone(record.files);
  for (const change of written) (files[change.file] ??= {})[pathKey(change)] = valueHash(change.value);
  await mkdir(dir, { recursive: true });
  await writeJsonAtomic(join(dir, RECORD_FILE), { schema_version: 1, files } satisfies MigrateRecord);
}

function valueAt(doc: Document, path: readonly (string | number)[]): unknown {
  let value: unknown = doc.toJS();
  for (const key of path.map(String)) {
    if (value === null || typeof value !== 'object' || !(key in value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** How the user changed a key migrate wrote before, or undefined when it is still migrate's value. */
function userEdit(doc: Document, change: LegacyChange, record: MigrateRecord): string | undefined {
  const recorded = record.files[change.file]?.[pathKey(change)];
  if (recorded === undefined) return undefined;
  const current = valueAt(doc, change.path);
  if (valueHash(current) === valueHash(change.value)) return undefined;
  if (current === undefined) return 'removed';
  return valueHash(current) === recorded ? undefined : 'changed';
}

/**
 * The plan's lines with every variable whose key the user changed (or removed) since the last `imk migrate`
 * moved to `kept`: none of its keys is written (nothing half-converted), and the line says which key,
 * in which file, and how to take the earlier version's value after all (`--overwrite`).
 */
export function withoutUserEdits(
  lines: readonly MigrateLine[],
  docOf: (file: string) => Document,
  record: MigrateRecord,
): MigrateLine[] {
  return lines.map((line) => {
    const edits = line.changes.flatMap((change) => {
      const how = userEdit(docOf(change.file), change, record);
      return how === undefined ? [] : [`config/${change.file}.yaml: ${change.path.join('.')} (${how})`];
    });
    if (edits.length === 0) return line;
    return {
      ...line,
      outcome: 'kept',
      changes: [],
      text:
        `kept as you left it, not replaced: ${edits.join(', ')} was changed after the last imk migrate; ` +
        `imk migrate --overwrite writes the earlier version's value (${line.text.replace(/\n\s*/g, '; ')}) ` +
        `and keeps a copy of the file in state/migrate/`,
    };
  });
}

/**
 * A copy of a config file about to be replaced, `state/migrate/<file>.yaml.<time>` (with its permissions:
 * a 0600 file stays private), so no value migrate replaces is lost. Returns its path.
 */
export async function backUpConfig(dir: string, path: string, text: string, now: Date): Promise<string> {
  await mkdir(dir, { recursive: true });
  let copy = join(dir, migrateCopyName(basename(path), now));
  for (let n = 2; await exists(copy); n += 1) copy = join(dir, migrateCopyName(basename(path), now, n));
  const mode = (await stat(path)).mode & 0o7777;
  await writeFileAtomic(copy, text, { mode });
  return copy;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
