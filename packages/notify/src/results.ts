import { lstat, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { appendUntrustedFile, readUntrustedText, readUntrustedTextIfThere } from '@imk/fs-safe';
import { resultsFile } from './store.ts';

/** One try to deliver one event to one target (or one media-server refresh). */
export const NotifyResultSchema = z.object({
  at: z.string(),
  /** `job.succeeded` … or `refresh` for a media-server refresh. */
  event: z.string(),
  event_id: z.string().optional(),
  target: z.string(),
  ok: z.boolean(),
  attempt: z.number().int(),
  /** No further try will follow (sent, or given up). */
  final: z.boolean(),
  title: z.string().optional(),
  error: z.string().optional(),
});
export type NotifyResult = z.infer<typeof NotifyResultSchema>;

/** The file is cut back to its newest lines when it grows past this. */
const MAX_BYTES = 256 * 1024;
const KEEP_LINES = 500;
/** Largest results file read: it is cut back to KEEP_LINES past MAX_BYTES, so anything far larger is not ours. */
const READ_MAX_BYTES = 16 * MAX_BYTES;

/** This process's results are written one after another: a cut-back must not drop a line appended meanwhile. */
let writing: Promise<void> = Promise.resolve();

/** Appends one result (one short line: appends from several processes do not interleave). */
export function recordResult(stateDir: string, result: NotifyResult): Promise<void> {
  const done = writing.then(() => appendResult(stateDir, result));
  writing = done.catch(() => undefined);
  return done;
}

async function appendResult(stateDir: string, result: NotifyResult): Promise<void> {
  const file = resultsFile(stateDir);
  await mkdir(dirname(file), { recursive: true });
  // Through fs-safe, as the read below: a FIFO, a link or a huge file in the state folder is refused, named.
  await appendUntrustedFile(file, `${JSON.stringify(result)}\n`);
  const size = await lstat(file).then(
    (s) => s.size,
    () => 0,
  );
  if (size > MAX_BYTES) {
    const kept = (await readUntrustedText(file, { maxBytes: READ_MAX_BYTES }))
      .trimEnd()
      .split('\n')
      .slice(-KEEP_LINES);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${kept.join('\n')}\n`);
    await rename(tmp, file);
  }
}

/** The newest results first (at most `limit`); lines that do not parse are skipped. No file: none. */
export async function readNotifyResults(stateDir: string, limit = 20): Promise<NotifyResult[]> {
  const text = await readUntrustedTextIfThere(resultsFile(stateDir), { maxBytes: READ_MAX_BYTES });
  if (text === undefined) return [];
  const results: NotifyResult[] = [];
  const lines = text.trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0 && results.length < limit; i--) {
    try {
      const parsed = NotifyResultSchema.safeParse(JSON.parse(lines[i] ?? ''));
      if (parsed.success) results.push(parsed.data);
    } catch {
      // A line cut by a crash mid-write: skipped.
    }
  }
  return results;
}
