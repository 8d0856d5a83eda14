import { JOB_ID_MAX_LENGTH, JobIdSchema } from './common.ts';

/**
 * The whole rule for a job id, as a user is told it wherever an id is refused (`imk enqueue --job-id`, a
 * queue folder `job_<id>` that cannot be a bundle): JobIdSchema checks it; this says it.
 */
export const JOB_ID_RULE =
  `a job id is 1 to ${JOB_ID_MAX_LENGTH} bytes of text (UTF-8), any letters, digits, spaces and punctuation ` +
  `but "/", "\\", "@" and control characters; it must not start with "." or a space, nor end in a space, ` +
  `and must not end in ".tmp" (the queue's name for an unfinished bundle)`;

/** How much of a refused id, or of any value a problem quotes, is quoted (a 10 MB argument is not said back whole). */
export const QUOTED_MAX = 120;

/**
 * Why `id` is not a valid job id: every way it breaks the rule (not only zod's first issue), the value
 * named, then the whole rule (JOB_ID_RULE), so that one fix makes it valid. Undefined when it is valid.
 * E.g. `"a/b@c " is not a valid job id: it contains "/" and "@", it ends in a space; a job id is …`.
 */
export function jobIdProblem(id: string): string | undefined {
  if (JobIdSchema.safeParse(id).success) return undefined;
  const broken: string[] = [];
  if (id === '') broken.push('it is empty');
  const reserved = ['/', '\\', '@'].filter((c) => id.includes(c));
  if (reserved.length > 0) broken.push(`it contains ${reserved.map((c) => `"${c}"`).join(' and ')}`);
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u001f\u007f-\u009f]/u.exec(id)?.[0];
  if (control !== undefined)
    broken.push(
      `it contains a control character (U+${control.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`,
    );
  if (id.startsWith('.')) broken.push('it starts with "."');
  else if (/^\s/u.test(id)) broken.push('it starts with a space');
  if (/\s$/u.test(id)) broken.push('it ends in a space');
  const bytes = Buffer.byteLength(id);
  if (bytes > JOB_ID_MAX_LENGTH) broken.push(`it is ${bytes} bytes long`);
  if (id.endsWith('.tmp')) broken.push('it ends in ".tmp"');
  // Anything the schema refuses that the list above does not name yet is still said, in zod's words.
  if (broken.length === 0)
    broken.push(...(JobIdSchema.safeParse(id).error?.issues.map((issue) => issue.message) ?? []));
  const quoted = JSON.stringify(id.length > QUOTED_MAX ? `${id.slice(0, QUOTED_MAX)}…` : id);
  return `${quoted} is not a valid job id: ${broken.join(', ')}; ${JOB_ID_RULE}`;
}
