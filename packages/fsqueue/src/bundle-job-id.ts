import { JobIdSchema, readJobJson } from '@imk/protocol';

/**
 * The job id a bundle's job.json says (a number, as the earlier version may have written it, as its text),
 * or undefined when it cannot be read or is no job id. Read through readJobJson: a FIFO, a device or a link
 * is refused, not opened.
 */
export async function jobIdOfBundle(dir: string): Promise<string | undefined> {
  const json = await readJobJson(dir).catch(() => undefined);
  const said = typeof json === 'object' && json !== null ? (json as { job_id?: unknown }).job_id : undefined;
  const id = typeof said === 'number' && Number.isFinite(said) ? String(said) : said;
  const parsed = JobIdSchema.safeParse(id);
  return parsed.success ? parsed.data : undefined;
}
