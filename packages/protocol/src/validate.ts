import { oneIssuePerField } from '@imk/errors';
import type { z } from 'zod';
import { parseUntrustedJson } from '@imk/fs-safe';
import { JOB_FILE, JobSchema, type Job } from './job.ts';
import { readAsLegacyJob } from './legacy-job.ts';
import { LegacyManifestSchema, ManifestSchema, type LegacyManifest, type Manifest } from './manifest.ts';

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
  return problems
    .map((p) => {
      const said = p.message.startsWith(`${p.path} `) ? p.message : `${fieldName(p.path)}: ${p.message}`;
      return p.file === undefined || said.startsWith(`${p.file}`) ? said : `${p.file}: ${said}`;
    })
    .join('; ');
}

/** A dotted field path as JavaScript spells it: `tracks.0.title` → `tracks[0].title`. */
export function fieldName(path: string): string {
  return path.replace(/\.(\d+)(?=\.|$)/g, '[$1]');
}

/** Validates a parsed `job.json` (legacy, its nulls read as absent, or v1). Pure: no file access. */
export function validateJob(json: unknown): Validated<Job> {
  const result = JobSchema.safeParse(readAsLegacyJob(json));
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, problems: formatIssues(result.error.issues, JOB_FILE, JobSchema) };
}

export type AnyManifest = { legacy: false; manifest: Manifest } | { legacy: true; manifest: LegacyManifest };

/** Validates a parsed `manifest.json`: v1 when it has `schema_version`, else the earlier project's shape. */
export function validateManifest(json: unknown): Validated<AnyManifest> {
  const isLegacy = typeof json === 'object' && json !== null && !('schema_version' in json);
  if (isLegacy) {
    const result = LegacyManifestSchema.safeParse(json);
    return result.success
      ? { ok: true, value: { legacy: true, manifest: result.data } }
      : { ok: false, problems: formatIssues(result.error.issues, undefined, LegacyManifestSchema) };
  }
  const result = ManifestSchema.safeParse(json);
  return result.success
    ? { ok: true, value: { legacy: false, manifest: result.data } }
    : { ok: false, problems: formatIssues(result.error.issues, undefined, ManifestSchema) };
}

/**
 * Parses JSON text, naming the file and position on failure; a document nested deeper than
 * MAX_JSON_DEPTH is refused (JSON_TOO_DEEP) before it can overflow a recursive reader.
 */
export function parseJsonText(text: string, file: string): unknown {
  return parseUntrustedJson(text, { name: file });
}
