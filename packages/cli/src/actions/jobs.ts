import { ImkError } from '@imk/errors';
import { cutText } from '@imk/fs-safe';
import { LEDGER_STATES, adoptOutputs, openLedger, type JobRow, type LedgerState } from '@imk/ledger';
import { oneLine, terminalText } from '@imk/log';
import { contextFrom, print } from '../context.ts';
import '../errors.ts';

interface JobsOptions {
  root?: string;
  status?: string;
  json?: boolean;
  limit: string;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A cell of one line (a line break in a title would start a row of its own), cut to `max`. */
function clip(value: string | null, max: number): string {
  if (!value) return '';
  const text = oneLine(value);
  return text.length > max ? `${cutText(text, max - 1)}…` : text;
}

export function formatJobs(jobs: JobRow[]): string {
  const rows = [['JOB', 'STATE', 'STAGE', 'TRIES', 'QUEUE', 'UPDATED', 'SONG', 'LAST ERROR']];
  for (const j of jobs)
    rows.push([
      j.job_id,
      j.duplicate_of ? `${j.state} (dup)` : j.state,
      j.stage ?? '',
      String(j.attempts),
      j.queue ?? '',
      j.updated_at.replace('T', ' ').slice(0, 19),
      clip([j.artist, j.title].filter(Boolean).join(' - '), 40),
      clip(j.last_error, 60),
    ]);
  return table(rows);
}

/** `imk jobs` */
export async function jobsCommand(options: JobsOptions): Promise<void> {
  if (options.status !== undefined && !(LEDGER_STATES as readonly string[]).includes(options.status))
    throw new ImkError(
      'INVALID_ARGUMENT',
      `unknown --status "${options.status}"; choose one of: ${LEDGER_STATES.join(', ')}`,
    );
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new ImkError('INVALID_ARGUMENT', `--limit must be a whole number ≥ 1`);
  const { paths } = contextFrom(options);
  const ledger = openLedger({ root: paths.root });
  try {
    // Finished outputs the ledger does not know (the earlier version's, another host's) are listed too;
    // a folder that cannot be (a name not UTF-8, or with a line break) is said on stderr, so --json stays a document.
    const { notListed } = await adoptOutputs(ledger, paths.outputs);
    for (const line of notListed) process.stderr.write(`imk jobs: ${terminalText(line)}\n`);
    const jobs = ledger.listJobs({ state: options.status as LedgerState | undefined, limit });
    if (options.json) return print(JSON.stringify(jobs, null, 2));
    if (jobs.length === 0)
      return print(
        options.status
          ? `no ${options.status} jobs in the ledger`
          : 'the ledger has no jobs yet (if queues/ and outputs/ hold earlier work, run `imk ledger rebuild`)',
      );
    print(formatJobs(jobs));
  } finally {
    ledger.close();
  }
}
