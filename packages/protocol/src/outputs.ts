import { lstat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { errorMessage, isImkError } from '@imk/errors';
import { processedAtMs } from './processed-at.ts';
import { assertRealFolder, readUntrustedFile, resolveInside } from '@imk/fs-safe';
import { MANIFEST_FILE, PUBLISHED_MARKER_FILE } from './outputs-layout.ts';
import { parseDocumentBytes } from './legacy-text.ts';
import { describeProblems, validateManifest, type AnyManifest, type ValidationProblem } from './validate.ts';

/**
 * One artifact as every reader sees it, whoever wrote the manifest: the earlier version's `null`s
 * (`codec`, `duration_sec`, `sha256` never filled in, …) become `undefined`.
 */
export interface OutputArtifact {
  kind: string;
  variant: string | undefined;
  label: string | undefined;
  /** Relative to `outputs/<job_id>/`. */
  path: string;
  codec: string | undefined;
  container: string | undefined;
  duration_sec: number | undefined;
  /** Only a well-formed lowercase hex digest; the earlier version left it null. */
  sha256: string | undefined;
  bytes: number | undefined;
  /** The gain (dB, negative) the file was turned down by so that it does not clip; undefined when it was not. */
  gain_db: number | undefined;
}

/** A validated manifest (v1 or the earlier version's), with the fields readers use in one shape. */
export interface OutputManifest {
  /**
   * The job's id. Read from a job folder (readOutputManifest): the folder's name, its address for every
   * reader (dashboard links, sync receipts, the ledger), whatever manifest.json says (idMismatch).
   */
  jobId: string;
  /**
   * When manifest.json's job_id is not the name of the folder it was read from (a folder renamed by hand,
   * a manifest copied from another job): one line saying so, which each reader shows (describeOutputNotes).
   */
  idMismatch: string | undefined;
  legacy: boolean;
  source_type: string | undefined;
  artist: string | undefined;
  album: string | undefined;
  title: string | undefined;
  processed_at: string | undefined;
  artifacts: OutputArtifact[];
  /**
   * Artifacts of the earlier version's manifest that cannot be read (a `path` null, empty, absolute, with
   * `..`; a `kind` that is no text), one problem each naming its index, kind and field: not in `artifacts`,
   * so never shown as a file nor synced. Each reader shows them (describeLeftOut). Empty for ours.
   */
  leftOut: ValidationProblem[];
  /** The document as validated (unknown fields kept). */
  document: AnyManifest;
}

export type ReadOutputResult =
  | { ok: true; manifest: OutputManifest }
  | { ok: false; file: string; problems: ValidationProblem[]; json: unknown };

const SHA256 = /^[0-9a-f]{64}$/;
/** Largest manifest.json read (thousands of artifacts fit in a few MiB). */
const MANIFEST_MAX_BYTES = 16 << 20;
/** What fs-safe says of a folder that holds no finished job: nothing to read, not a problem. */
const NOT_A_JOB = ['FILE_MISSING', 'FOLDER_IS_SYMLINK', 'NOT_A_FOLDER'];

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The reader's view of a parsed, validated manifest (pure). */
export function outputManifestOf(document: AnyManifest): OutputManifest {
  const m = document.manifest;
  return {
    jobId: m.job_id,
    idMismatch: undefined,
    legacy: document.legacy,
    source_type: text(m.source_type),
    artist: text(m.artist),
    album: text(m.album),
    title: text(m.title),
    processed_at: text(m.processed_at),
    artifacts: m.artifacts.map((a) => ({
      kind: a.kind,
      variant: text(a.variant),
      label: text(a.label),
      path: a.path,
      codec: text(a.codec),
      container: text(a.container),
      duration_sec: num(a.duration_sec),
      sha256: typeof a.sha256 === 'string' && SHA256.test(a.sha256) ? a.sha256 : undefined,
      bytes: num((a as { bytes?: unknown }).bytes),
      gain_db: num((a as { gain_db?: unknown }).gain_db),
    })),
    leftOut: document.legacy ? document.leftOut : [],
    document,
  };
}

/** Validates parsed JSON as a manifest (v1 or legacy) into the reader's view. Pure. */
export function parseOutputManifest(json: unknown, file = MANIFEST_FILE): ReadOutputResult {
  const result = validateManifest(json);
  return result.ok
    ? { ok: true, manifest: outputManifestOf(result.value) }
    : { ok: false, file, problems: result.problems, json };
}

/**
 * Reads `<dir>/manifest.json`: undefined when there is none (the job is not finished, or the folder is
 * not a job); otherwise the manifest or what is wrong with it, naming the file.
 */
export async function readOutputManifest(dir: string): Promise<ReadOutputResult | undefined> {
  const file = join(dir, MANIFEST_FILE);
  let json: unknown;
  try {
    // The job folder must be a real folder (a link to one elsewhere is no job here), manifest.json a
    // regular file of bounded size and depth: outputs/ may be shared with other hosts and programs.
    await assertRealFolder(dir);
    const bytes = await readUntrustedFile(file, { name: MANIFEST_FILE, maxBytes: MANIFEST_MAX_BYTES });
    // The earlier version's manifest saved as Latin-1 by an editor is read so (legacy-text.ts).
    json = parseDocumentBytes(bytes, MANIFEST_FILE).json;
  } catch (error) {
    if (NOT_A_JOB.some((code) => isImkError(error, code))) return undefined;
    return { ok: false, file, problems: [{ path: '(file)', message: errorMessage(error) }], json: {} };
  }
  const result = withFolderId(parseOutputManifest(json, file), basename(dir));
  if (result.ok && result.manifest.legacy) {
    // This version published the folder, and the earlier version wrote its manifest into it afterwards.
    const marker = await lstat(join(dir, PUBLISHED_MARKER_FILE)).catch(() => undefined);
    if (marker?.isFile())
      return {
        ok: false,
        file,
        json,
        problems: [
          {
            path: '(file)',
            message:
              `written by the earlier instrumental-maker into a folder this version had published ` +
              `(${PUBLISHED_MARKER_FILE} is there, written ${marker.mtime.toISOString()}): both wrote into ` +
              `outputs/${basename(dir)}/, so its files may be a mix of the two. The earlier version is still ` +
              `running on this outputs folder: stop it, then run the job again (imk retry ${basename(dir)})`,
          },
        ],
      };
  }
  return result;
}

/**
 * The folder is the job's address: a manifest whose job_id names another job (its folder renamed by hand) is
 * read under its folder's name, and the mismatch said. Names compared in one Unicode form (a folder copied
 * through macOS may spell "é" otherwise than the manifest does: the same name).
 */
function withFolderId(result: ReadOutputResult, folder: string): ReadOutputResult {
  if (!result.ok) return result;
  const written = result.manifest.jobId;
  if (written.normalize('NFC') === folder.normalize('NFC'))
    return { ok: true, manifest: { ...result.manifest, jobId: folder } };
  return {
    ok: true,
    manifest: {
      ...result.manifest,
      jobId: folder,
      idMismatch:
        `job_id is "${written}", not the name of its folder, outputs/${folder}/ (renamed by hand, or the ` +
        `manifest copied from another job): it is listed, linked and synced as ${folder}, its folder; to ` +
        `list it as ${written}, rename the folder back`,
    },
  };
}

/**
 * The lines each reader shows beside a readable manifest (imk job, the dashboard, the ledger): its artifacts
 * left out (describeLeftOut) and a job_id that is not its folder's name (OutputManifest.idMismatch), each
 * naming the file.
 */
export function describeOutputNotes(manifest: OutputManifest, file: string): string[] {
  return [
    ...(manifest.idMismatch === undefined ? [] : [`${file}: ${manifest.idMismatch}`]),
    ...describeLeftOut(manifest, file),
  ];
}

/** One line naming the file and everything wrong with it. */
export function describeOutputProblem(result: Extract<ReadOutputResult, { ok: false }>): string {
  return `${result.file} is not a valid manifest: ${describeProblems(result.problems)}`;
}

/**
 * One line per artifact left out of a manifest (OutputManifest.leftOut), naming the file (so the job) and
 * the artifact: `outputs/x/manifest.json: artifacts[3].path: … ; artifact 3 (stems, drums) is left out …`.
 * The one wording for `imk job`, the dashboard, the ledger and the sync pass.
 */
export function describeLeftOut(manifest: OutputManifest, file: string): string[] {
  return manifest.leftOut.map((problem) => `${file}: ${describeProblems([problem])}`);
}

/**
 * What is at an artifact's path in its job folder: `file` (a regular file, in either Unicode spelling of its
 * name, reached through links that stay inside the folder), `missing` (nothing: a file the user deleted from
 * the earlier version's outputs), or `not-a-file` (a folder, a device, or a path with a symbolic link that
 * leads out of the job folder, at its end or in its middle: never sent nor played). The one look for
 * `imk job` and the dashboard, made by the check serving and sync make before they open a file (fs-safe's
 * resolveInside, every component of the path), so that what they say is what those will do.
 */
export type ArtifactOnDisk = 'file' | 'missing' | 'not-a-file';

export async function artifactsOnDisk(
  dir: string,
  artifacts: readonly { path: string }[],
): Promise<ArtifactOnDisk[]> {
  return Promise.all(
    artifacts.map(async ({ path }): Promise<ArtifactOnDisk> => {
      let real: string;
      try {
        real = await resolveInside(dir, path, { rootName: 'its job folder' });
      } catch (error) {
        return isImkError(error, 'FILE_MISSING') ? 'missing' : 'not-a-file';
      }
      const found = await lstat(real).catch(() => undefined);
      if (found === undefined) return 'missing';
      return found.isFile() ? 'file' : 'not-a-file';
    }),
  );
}

/** Words for an artifact that is not a file on disk (imk job, the dashboard); undefined for a file. */
export function describeOnDisk(state: ArtifactOnDisk): string | undefined {
  if (state === 'missing') return 'missing: listed in manifest.json but not in its job folder';
  if (state === 'not-a-file')
    return 'not a regular file in its job folder (a folder, a device, or a link out of the folder): not sent, not played';
  return undefined;
}

/** A job folder in outputs/ that holds a manifest (finished), with the manifest's mtime. */
export interface OutputFolder {
  jobId: string;
  dir: string;
  manifestPath: string;
  /** ino:size:mtime of the manifest: changes whenever it is rewritten. */
  version: string;
  writtenMs: number;
  /**
   * The folder's name is no job id here (the earlier version's ids with spaces around them, ` My Song `): it
   * is listed and read like any other, but nothing is published, replaced or remixed under it. See
   * isEarlierVersionOutputName.
   */
  readOnly: boolean;
}

/**
 * When a finished job finished, in ms since the epoch: its manifest's own `processed_at` when that is a time
 * (the earlier version wrote it too; read by processedAtMs, a time without a zone is UTC), else the manifest
 * file's mtime. The mtime alone made every job of a library copied with `cp -r` (or rsync without -t) show
 * the copy's time in `imk jobs`, `imk job`, the ledger and the dashboard's library.
 */
export function outputFinishedMs(processedAt: unknown, folder: Pick<OutputFolder, 'writtenMs'>): number {
  return processedAtMs(processedAt) ?? folder.writtenMs;
}

/** outputFinishedMs as ISO 8601 (UTC). */
export function outputFinishedAt(manifest: OutputManifest, folder: OutputFolder): string {
  return new Date(outputFinishedMs(manifest.processed_at, folder)).toISOString();
}
