import { oneIssuePerField } from '@imk/errors';
import type { z } from 'zod';
import { capText, parseUntrustedJson } from '@imk/fs-safe';
import { JOB_FILE, JobSchema, type Job } from './job.ts';
import { readAsLegacyJob } from './legacy-job.ts';
import { SCHEMA_VERSION } from './common.ts';
import { QUOTED_MAX } from './job-id-rule.ts';
import {
  LegacyArtifactSchema,
  LegacyManifestSchema,
  ManifestSchema,
  type LegacyManifest,
  type Manifest,
} from './manifest.ts';

/** One thing wrong with a document: the file, the dotted field path and what was wrong there. */
export interface ValidationProblem {
  /**
   * The file the field is in (`job.json`), when the problem is read apart from it: a rejected bundle's
   * reason names the file as well as the field. Undefined when the field path says it (`(bundle)`,
   * `job.json` itself) or the message is already about one named file.
   */
  file?: string;
  path: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; problems: ValidationProblem[] };

/**
 * zod's issues as problems, one per field; `file` names the document they are in (see
 * ValidationProblem.file). With the `schema` they came from, a field bounded both ways is told its whole
 * range ("must be between 0 and 100"), see oneIssuePerField.
 */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  file?: string,
  schema?: z.ZodType,
): ValidationProblem[] {
  return oneIssuePerField(issues, schema).map((issue) => ({
    ...(file !== undefined && { file }),
    path: issue.path.length === 0 ? '(document)' : issue.path.map(String).join('.'),
    message: missingField(issue) ?? issue.message,
  }));
}

/**
 * A required field that is absent is said as missing ("missing: a string is required"), not as zod's
 * "Invalid input: expected string, received undefined", which reads as if a value were there.
 */
function missingField(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code !== 'invalid_type' || !/received undefined$/.test(issue.message)) return undefined;
  const expected = String(issue.expected);
  const article = /^[aeiou]/.test(expected) ? 'an' : 'a';
  return `missing: ${article} ${expected} is required here`;
}

/**
 * The problems in one line, `file: field: what was wrong; …`, the field spelt as in JavaScript
 * (`job.json: tracks[0].title: …`; the problems keep the dotted path, `tracks.0.title`). A message that
 * already begins with its field (`job.json is missing from the bundle`) is not prefixed with it again
 * ("job.json: job.json is …"). The one home of that line: a rejected bundle's reason, the log, the ledger.
 */
export function describeProblems(problems: readonly ValidationProblem[]): string {
  // Each problem cut to DEFAULT_TEXT_CAP: a message quoting a value of the document (a schema_version of
  // 300,000 characters) became a log line, a reason file and an `imk job` line as long.
  return problems
    .map((p) => {
      const said = p.message.startsWith(`${p.path} `) ? p.message : `${fieldName(p.path)}: ${p.message}`;
      return capText(p.file === undefined || said.startsWith(`${p.file}`) ? said : `${p.file}: ${said}`);
    })
    .join('; ');
}

/** A dotted field path as JavaScript spells it: `tracks.0.title` → `tracks[0].title`. */
export function fieldName(path: string): string {
  return path.replace(/\.(\d+)(?=\.|$)/g, '[$1]');
}

/**
 * Validates a parsed `job.json` (legacy, its nulls read as absent, or v1). Pure: no file access. A
 * `schema_version` newer than this imk reads is one problem naming it (upgrade imk), as for a manifest: a
 * new version is a change its fields cannot say, so the job is not read as a version 1 job.
 */
export function validateJob(json: unknown): Validated<Job> {
  const newer = newerJobVersion(json);
  if (newer !== undefined) return { ok: false, problems: [newer] };
  const result = JobSchema.safeParse(readAsLegacyJob(json));
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, problems: formatIssues(result.error.issues, JOB_FILE, JobSchema) };
}

export type AnyManifest =
  | { legacy: false; manifest: Manifest }
  | {
      legacy: true;
      manifest: LegacyManifest;
      /**
       * The artifacts of its list that cannot be read (a `path` or `kind` null, empty, absolute, with `..`,
       * not text; an entry that is no object), one problem each, the field path naming the artifact's
       * index in the file (`artifacts.3.path`). They are not in `manifest.artifacts`: never shown as files,
       * never synced. The job and its other artifacts are read as usual.
       */
      leftOut: ValidationProblem[];
    };

/**
 * Validates a parsed `manifest.json`: the earlier project's shape when it has no `schema_version`, ours
 * when it says this version (`1`, or `"1"` as text: a tool that rewrote the file); any other version is
 * one problem naming it (newer: upgrade imk), not a list of the fields a reader of version 1 would miss.
 */
export function validateManifest(json: unknown): Validated<AnyManifest> {
  if (typeof json === 'object' && json !== null && !Array.isArray(json) && !('schema_version' in json))
    return validateLegacyManifest(json as Record<string, unknown>);
  const version = manifestVersion(json);
  if (typeof version === 'string')
    return { ok: false, problems: [{ path: 'schema_version', message: version }] };
  const document = typeof json === 'object' && json !== null ? { ...json, schema_version: version } : json;
  const result = ManifestSchema.safeParse(document);
  return result.success
    ? { ok: true, value: { legacy: false, manifest: result.data } }
    : { ok: false, problems: formatIssues(result.error.issues, undefined, ManifestSchema) };
}

/** The version a manifest with `schema_version` says, when this imk reads it; otherwise what to tell the user. */
function manifestVersion(json: unknown): number | string | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const said = (json as { schema_version?: unknown }).schema_version;
  const version = typeof said === 'string' && /^\s*\d+\s*$/.test(said) ? Number(said) : said;
  if (version === SCHEMA_VERSION) return version;
  if (typeof version === 'number' && Number.isInteger(version) && version > SCHEMA_VERSION)
    return newerVersion(version);
  return (
    `schema_version ${capText(JSON.stringify(said) ?? String(said), QUOTED_MAX)} is no version of manifest.json: this imk reads ${SCHEMA_VERSION} ` +
    `(what it writes) and manifests without schema_version (the earlier instrumental-maker's); if the ` +
    `earlier version wrote this file, remove schema_version from it`
  );
}

/**
 * A job.json of a `schema_version` newer than this imk reads, as its one problem (whatever its other
 * fields hold: they may mean something else in that version); undefined for any other. The claim's check
 * (validateJob) and a producer's publish refuse it alike.
 */
export function newerJobVersion(json: unknown): ValidationProblem | undefined {
  const said = isRecord(json) ? json.schema_version : undefined;
  if (typeof said === 'number' && Number.isInteger(said) && said > SCHEMA_VERSION)
    return { file: JOB_FILE, path: 'schema_version', message: newerVersion(said) };
  return undefined;
}

/** What a document of a version newer than this imk reads is told: the one wording, job.json's and manifest.json's. */
function newerVersion(version: number): string {
  return `schema_version ${version} is newer than this imk reads (${SCHEMA_VERSION}); upgrade imk`;
}

const isRecord = (json: unknown): json is Record<string, unknown> =>
  typeof json === 'object' && json !== null && !Array.isArray(json);

/**
 * The earlier version's manifest: the document with every artifact read apart, so that one unusable artifact
 * is left out with its problem instead of making the whole manifest invalid (the job would vanish from
 * `imk jobs`, the ledger, the dashboard and sync; its own sync program skipped only that artifact).
 */
function validateLegacyManifest(json: Record<string, unknown>): Validated<AnyManifest> {
  const listed = json.artifacts;
  const result = LegacyManifestSchema.safeParse(Array.isArray(listed) ? { ...json, artifacts: [] } : json);
  if (!result.success)
    return { ok: false, problems: formatIssues(result.error.issues, undefined, LegacyManifestSchema) };
  const artifacts: LegacyManifest['artifacts'] = [];
  const leftOut: ValidationProblem[] = [];
  (Array.isArray(listed) ? (listed as unknown[]) : []).forEach((raw, index) => {
    const artifact = LegacyArtifactSchema.safeParse(raw);
    if (artifact.success) {
      artifacts.push(artifact.data);
      return;
    }
    // One problem per artifact (its fields together when several are unusable): one artifact left out.
    const problems = formatIssues(artifact.error.issues, undefined, LegacyArtifactSchema);
    const [only] = problems;
    const field = problems.length === 1 && only && only.path !== '(document)' ? `.${only.path}` : '';
    const what = field ? (only?.message ?? '') : describeProblems(problems);
    leftOut.push({
      path: `artifacts.${index}${field}`,
      message: `${what}; ${artifactName(raw, index)} is left out (not listed as a file, never synced)`,
    });
  });
  return { ok: true, value: { legacy: true, manifest: { ...result.data, artifacts }, leftOut } };
}

/** `artifact 3 (stems, drums)`: the index in the file, and its kind and variant when they are text. */
function artifactName(raw: unknown, index: number): string {
  const facts =
    typeof raw === 'object' && raw !== null
      ? [(raw as { kind?: unknown }).kind, (raw as { variant?: unknown }).variant].filter(
          (v): v is string => typeof v === 'string' && v !== '',
        )
      : [];
  return `artifact ${index}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
}

/**
 * Parses JSON text, naming the file and position on failure; a document nested deeper than
 * MAX_JSON_DEPTH is refused (JSON_TOO_DEEP) before it can overflow a recursive reader.
 */
export function parseJsonText(text: string, file: string): unknown {
  return parseUntrustedJson(text, { name: file });
}
