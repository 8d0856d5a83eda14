import type { z } from 'zod';
import { ImkError } from '@imk/errors';
import { JobSchema, type Job } from './job.ts';
import { LegacyManifestSchema, ManifestSchema, type LegacyManifest, type Manifest } from './manifest.ts';

/** One thing wrong with a document: the dotted field path and what was wrong there. */
export interface ValidationProblem {
  path: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; problems: ValidationProblem[] };

export function formatIssues(issues: readonly z.core.$ZodIssue[]): ValidationProblem[] {
  return issues.map((issue) => ({
    path: issue.path.length === 0 ? '(document)' : issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

export function describeProblems(problems: readonly ValidationProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}

/** Validates a parsed `job.json` (legacy or v1). Pure: no file access. */
export function validateJob(json: unknown): Validated<Job> {
  const result = JobSchema.safeParse(json);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, problems: formatIssues(result.error.issues) };
}

export type AnyManifest = { legacy: false; manifest: Manifest } | { legacy: true; manifest: LegacyManifest };

/** Validates a parsed `manifest.json`: v1 when it has `schema_version`, else the earlier project's shape. */
export function validateManifest(json: unknown): Validated<AnyManifest> {
  const isLegacy = typeof json === 'object' && json !== null && !('schema_version' in json);
  if (isLegacy) {
    const result = LegacyManifestSchema.safeParse(json);
    return result.success
      ? { ok: true, value: { legacy: true, manifest: result.data } }
      : { ok: false, problems: formatIssues(result.error.issues) };
  }
  const result = ManifestSchema.safeParse(json);
  return result.success
    ? { ok: true, value: { legacy: false, manifest: result.data } }
    : { ok: false, problems: formatIssues(result.error.issues) };
}

/** Parses JSON text, naming the file and position on failure. */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ImkError('INVALID_JSON', `${file} is not valid JSON (${(error as Error).message})`, {
      cause: error,
      details: { file },
    });
  }
}
