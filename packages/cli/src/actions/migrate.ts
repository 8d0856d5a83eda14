import { mkdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isCollection, isMap, isScalar, parseDocument, type Document } from 'yaml';
import { ImkError, isImkError } from '@imk/errors';
import { MAX_JSON_DEPTH, readUntrustedFile, writeFileAtomic } from '@imk/fs-safe';
import {
  decodeLegacyEnv,
  LEGACY_GENERIC_KEYS,
  LEGACY_KEYS,
  pickLegacy,
  readLegacyEnv,
  type LegacyChange,
  type RepeatedKey,
  type UnreadLine,
  yamlDepth,
} from '@imk/config';
import { contextFrom, print } from '../context.ts';
import { withoutRefusedChanges } from './migrate-check.ts';
import { backUpConfig, readMigrateRecord, withoutUserEdits, writeMigrateRecord } from './migrate-record.ts';
import { withHostPathNotes } from './migrate-host-paths.ts';
import { planMigration, type MigrateLine } from './migrate-plan.ts';
import '../errors.ts';

interface MigrateOptions {
  root?: string;
  env?: string;
  dryRun?: boolean;
  json?: boolean;
  /** Also replace keys the user changed since the last run (the file is copied to state/migrate/ first). */
  overwrite?: boolean;
}

/** Largest env or config file read: settings, not a document. */
const MAX_SETTINGS_BYTES = 1 << 20;

/**
 * A file the user named (`--env`) or their config file, or undefined when there is none. fs-safe's
 * regular-file check first, as `imk enqueue` has it: a FIFO or a device is refused at once with a message
 * naming it, not read forever. A link is the user's to make and is followed.
 */
async function readBytes(file: string, name: string): Promise<Buffer | undefined> {
  try {
    return await readUntrustedFile(file, { name, maxBytes: MAX_SETTINGS_BYTES, followLinks: true });
  } catch (error) {
    if (isImkError(error, 'FILE_MISSING')) return undefined;
    throw error;
  }
}

async function readText(file: string, name: string): Promise<string | undefined> {
  return (await readBytes(file, name))?.toString('utf8');
}

/** Sets each change in the YAML document (keeping what the file already says elsewhere) with its comment. */
function apply(doc: Document, changes: LegacyChange[]): void {
  for (const change of changes) {
    doc.setIn(change.path, doc.createNode(change.value));
    const node = doc.getIn(change.path, true);
    if (isScalar(node)) node.comment = ` ${change.comment}`;
    else if (isCollection(node)) node.commentBefore = ` ${change.comment}`;
  }
}

/**
 * Replaces a config file whole (a temp file beside it, fsynced, renamed over it): a run cut short by a full
 * disk, a file-size limit or a kill leaves the user's file as it was, never a truncated half. A config
 * file that is a link (the user's to make) keeps its link: the file it points to is replaced, and it keeps
 * its permissions (a private 0600 file stays private). The file as it was is copied to `backupDir` first
 * (returned), so a value migrate replaces is never lost.
 */
async function writeConfig(
  configDir: string,
  path: string,
  text: string,
  existing: string | undefined,
  backupDir: string,
): Promise<string | undefined> {
  try {
    await mkdir(configDir, { recursive: true });
    if (existing === undefined) {
      await writeFileAtomic(path, text);
      return undefined;
    }
    if (existing === text) return undefined;
    const target = await realpath(path);
    const copy = await backUpConfig(backupDir, target, existing, new Date());
    await writeFileAtomic(target, text, { mode: (await stat(target)).mode & 0o7777 });
    return copy;
  } catch (error) {
    throw new ImkError(
      'CONFIG_WRITE_FAILED',
      `could not write ${path} (${(error as Error).message}); ${existing !== undefined ? 'it is unchanged' : 'nothing was written there'}, fix this and run imk migrate again`,
      { cause: error },
    );
  }
}

const HEADER = (file: string) =>
  ` config/${file}.yaml, written by \`imk migrate\` from the earlier instrumental-maker's settings.\n Each converted value says where it came from; docs/migration.md lists every legacy setting.`;

/** The config files the plan changes, as they are now (undefined: not there yet). */
async function readConfigs(
  configDir: string,
  lines: MigrateLine[],
): Promise<Map<string, string | undefined>> {
  const texts = new Map<string, string | undefined>();
  for (const line of lines)
    for (const { file } of line.changes) {
      if (texts.has(file)) continue;
      const path = join(configDir, `${file}.yaml`);
      texts.set(file, await readText(path, path));
    }
  return texts;
}

/** One config file's YAML document with the changes set, the rest of the file as it was. */
function renderConfig(
  path: string,
  file: string,
  existing: string | undefined,
  changes: LegacyChange[],
): Document {
  // Counted before composing, as config and sidecars are (yamlDepth): a deep `- - - …` overflowed the
  // parser's stack ("Maximum call stack size exceeded"), and a few such overflows in one process can end it.
  if (existing !== undefined && yamlDepth(existing, MAX_JSON_DEPTH) > MAX_JSON_DEPTH)
    throw new ImkError(
      'CONFIG_INVALID',
      `${path} nests more than ${MAX_JSON_DEPTH} levels deep; fix it first`,
      { details: { file: path } },
    );
  const doc = parseDocument(existing ?? '');
  if (doc.errors.length > 0)
    throw new ImkError(
      'CONFIG_INVALID',
      `${path} is not valid YAML (${doc.errors[0]!.message}); fix it first`,
    );
  // Block style, as a person writes config (an empty document would otherwise become a flow map).
  if (doc.contents === null) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
  if (!isMap(doc.contents))
    throw new ImkError(
      'CONFIG_INVALID',
      `${path}: expected a mapping of settings at the top level; fix it first`,
    );
  if (existing === undefined) doc.commentBefore = HEADER(file);
  apply(doc, changes);
  return doc;
}

function shownValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Each converted line saying what it does to the config file as it is now: the value it replaces there
 * (`replaces 44100, in config/instrumental-maker.yaml now`), or that the file already says so. Before, a
 * dry run into a folder with config, or a second run after the .env changed, listed every value as
 * `converted` alike, and a value set by hand was replaced without a word.
 */
function withReplacedValues(lines: MigrateLine[], docOf: (file: string) => Document): MigrateLine[] {
  return lines.map((line) => {
    if (line.outcome !== 'converted') return line;
    let same = 0;
    const replaces = line.changes.flatMap((change) => {
      const node: unknown = docOf(change.file).getIn(change.path, true);
      if (node === undefined) return [];
      const now: unknown = isScalar(node) || isCollection(node) ? node.toJSON() : node;
      if (JSON.stringify(now) === JSON.stringify(change.value)) {
        same += 1;
        return [];
      }
      return [`replaces ${change.path.join('.')} = ${shownValue(now)}, in config/${change.file}.yaml now`];
    });
    if (same === line.changes.length)
      return { ...line, unchanged: true, text: `${line.text}\n    (already so)` };
    if (replaces.length === 0) return line;
    return { ...line, replaces, text: [line.text, ...replaces].join('\n    ') };
  });
}

interface WriteOptions {
  dryRun: boolean;
  overwrite: boolean;
  /** `state/migrate/`: the record of what migrate wrote, and copies of the files it replaced. */
  stateDir: string;
}

async function writeConfigs(
  configDir: string,
  planned: MigrateLine[],
  options: WriteOptions,
): Promise<{ lines: MigrateLine[]; written: string[]; backups: string[] }> {
  const texts = await readConfigs(configDir, planned);
  const pathOf = (file: string) => join(configDir, `${file}.yaml`);
  const render = (file: string, changes: LegacyChange[]) =>
    renderConfig(pathOf(file), file, texts.get(file), changes);
  const record = await readMigrateRecord(options.stateDir);
  // A key the user changed since the last run is theirs: kept, and said (unless --overwrite).
  const lines = options.overwrite ? planned : withoutUserEdits(planned, (file) => render(file, []), record);
  // Nothing its service would refuse is written: such a variable is reported, not converted.
  // Each value already in a config file that a change replaces is said, so no run replaces one silently.
  const kept = withReplacedValues(await withoutRefusedChanges(lines, render), (file) => render(file, []));
  const byFile = new Map<string, LegacyChange[]>();
  for (const line of kept)
    for (const change of line.changes) byFile.set(change.file, [...(byFile.get(change.file) ?? []), change]);
  const written: string[] = [];
  const backups: string[] = [];
  // What was written is recorded even when a later file fails (a full disk, a read-only file): else a run
  // that wrote paths.yaml and then failed left no record of it, and the next run replaced the value the user
  // had set there meanwhile, as if migrate had never written that key.
  const done: LegacyChange[] = [];
  let failure: Error | undefined;
  try {
    for (const [file, changes] of byFile) {
      const path = pathOf(file);
      const text = String(render(file, changes));
      if (!options.dryRun) {
        const copy = await writeConfig(configDir, path, text, texts.get(file), options.stateDir);
        if (copy !== undefined) backups.push(copy);
        done.push(...changes);
      }
      // A file that already says all of it is not written (nor said to be).
      if (text !== texts.get(file)) written.push(path);
    }
  } catch (error) {
    failure = error as Error;
  }
  if (!options.dryRun && (failure === undefined || done.length > 0))
    await writeMigrateRecord(options.stateDir, record, done).catch((error: unknown) => {
      failure ??= error as Error;
    });
  if (failure !== undefined) throw failure;
  return { lines: kept, written, backups };
}

/** `imk migrate` */
export async function migrateCommand(options: MigrateOptions): Promise<void> {
  const { paths } = contextFrom(options, false);
  let env: Record<string, string>;
  let fileKeys: string[];
  // Lines of the --env file that are not KEY=value: said, by number and name, never dropped silently.
  let unread: UnreadLine[] = [];
  // Where each variable was read (`--env` only), so that a value not usable is found in the file.
  let lineOf: Record<string, number> = {};
  let repeated: RepeatedKey[] = [];
  // Not UTF-8: read as Windows-1252 (decodeLegacyEnv), and said.
  let encoding: 'utf-8' | 'windows-1252' | undefined;
  if (options.env !== undefined) {
    const bytes = await readBytes(options.env, `--env ${options.env}`);
    if (bytes === undefined) throw new ImkError('INVALID_ARGUMENT', `--env ${options.env}: no such file`);
    const decoded = decodeLegacyEnv(bytes);
    const text = decoded.text;
    encoding = decoded.encoding;
    // `${NAME}` in the file is resolved as docker compose resolved it: the file's lines above, then the
    // environment compose ran in (this one).
    ({ env, unread, lineOf, repeated } = readLegacyEnv(text, process.env));
    fileKeys = Object.keys(env);
  } else {
    // Names many other programs set too (PUID, TORCH_HOME, XDG_CACHE_HOME, …) say nothing of the earlier
    // version when found in an environment: only its .env (--env) names them as its settings.
    env = {
      ...pickLegacy(
        process.env,
        LEGACY_KEYS.map((entry) => entry.key).filter((key) => !LEGACY_GENERIC_KEYS.includes(key)),
      ),
    };
    fileKeys = Object.keys(env);
  }
  const planned = planMigration(env, fileKeys, { envFile: options.env });
  const {
    lines: writtenLines,
    written,
    backups,
  } = await writeConfigs(paths.config, planned.lines, {
    dryRun: options.dryRun === true,
    overwrite: options.overwrite === true,
    stateDir: paths.migrate,
  });
  const lines = await withHostPathNotes(writtenLines, paths.root);
  const plan = { ...planned, lines };
  if (options.json)
    return print(
      JSON.stringify(
        { dryRun: options.dryRun === true, written, backups, ...plan, unread, repeated, lineOf, encoding },
        null,
        2,
      ),
    );
  const source = options.env ?? 'the environment';
  if (encoding === 'windows-1252')
    print(
      `${source} is not UTF-8 text: read as Latin-1 (Windows-1252), as an editor on Windows saves it; check the values with accents below`,
    );
  const unreadText = unread.map(
    (u) =>
      `  line ${u.line}${u.text === '' ? '' : ` (${u.text}${u.reason === undefined ? '…' : ''})`}: ${u.reason ?? 'not KEY=value'}, not read`,
  );
  if (unreadText.length > 0) print(`not read from ${source} (${unread.length}):\n${unreadText.join('\n')}`);
  for (const { key, lines } of repeated)
    print(
      `${key} is set on lines ${lines.join(', ')} of ${source}: line ${lines.at(-1)} is used, as docker compose used the last`,
    );
  if (plan.lines.length === 0) return print(`no setting of the earlier instrumental-maker in ${source}`);
  const section = (title: string, outcome: MigrateLine['outcome'][]) => {
    const chosen = plan.lines.filter((line) => outcome.includes(line.outcome));
    if (chosen.length === 0) return;
    print(`${title} (${chosen.length}):`);
    for (const line of chosen) {
      // A value that is not usable names its line, to be found and corrected in the file.
      const at =
        line.outcome !== 'skipped' || lineOf[line.key] === undefined ? '' : ` (line ${lineOf[line.key]})`;
      print(`  ${line.key}${line.value === undefined ? '' : `=${line.value}`}${at}\n    ${line.text}`);
    }
  };
  section('converted', ['converted']);
  section('kept as you changed it (not replaced)', ['kept']);
  section('covered by another setting', ['covered']);
  section('not converted (value not usable)', ['skipped']);
  section('no equivalent', ['none']);
  if (plan.unknown.length > 0)
    print(`not settings of the earlier version (left alone): ${plan.unknown.join(', ')}`);
  print(
    options.dryRun
      ? `dry run: would write ${written.join(', ') || 'nothing (the config files already say all of it)'}`
      : `wrote ${written.join(', ') || 'nothing (the config files already say all of it)'}; see docs/migration.md`,
  );
  for (const copy of backups) print(`the file as it was before is kept as ${copy}`);
}
