import { ImkError } from '@imk/errors';
import {
  JOB_FILE,
  JobSchema,
  newerJobVersion,
  bundlePathProblem,
  describeProblems,
  formatIssues,
} from '@imk/protocol';
import type { ValidationProblem } from '@imk/protocol';
import { PRODUCER_FILE } from './names.ts';
import type { BundleFileInput } from './publish.ts';
import './errors.ts';

/** Checks the files given and the job without them, before anything is copied. */
export function checkInputs(job: Record<string, unknown>, files: BundleFileInput[]): void {
  const problems: ValidationProblem[] = [];
  const seen = new Set<string>();
  for (const [index, file] of files.entries()) {
    const problem = bundlePathProblem(file.name);
    if (problem) problems.push({ path: `files.${index}.name`, message: problem });
    if (file.name === JOB_FILE || file.name === PRODUCER_FILE)
      problems.push({ path: `files.${index}.name`, message: `${file.name} is written by publishBundle` });
    // A moved source that is not what it was declared to be would be gone from where it was, and its copy too.
    if ('source' in file && file.move === true && file.declared !== undefined)
      problems.push({
        path: `files.${index}.declared`,
        message: `"${file.name}" is given with move and a declared hash: a declared hash is checked on a copy, add it without move`,
      });
    if (seen.has(file.name))
      problems.push({ path: `files.${index}.name`, message: `"${file.name}" is given twice` });
    seen.add(file.name);
  }
  if (problems.length > 0) throw invalidJob(job, problems);
  // Validate before copying anything: a bad job fails fast, without touching the queue.
  validate({ ...job, files: undefined });
}

/** Throws INVALID_JOB naming every problem of the job (JobSchema, or a newer schema_version). */
export function validate(job: Record<string, unknown>): void {
  const newer = newerJobVersion(job);
  if (newer !== undefined) throw invalidJob(job, [newer]);
  const result = JobSchema.safeParse(job);
  if (!result.success) throw invalidJob(job, formatIssues(result.error.issues, undefined, JobSchema));
}

function invalidJob(job: Record<string, unknown>, problems: ValidationProblem[]): ImkError {
  const id = typeof job.job_id === 'string' ? job.job_id : '(no job_id)';
  return new ImkError('INVALID_JOB', `job ${id} is not valid: ${describeProblems(problems)}`, {
    details: { job_id: id, problems },
  });
}
