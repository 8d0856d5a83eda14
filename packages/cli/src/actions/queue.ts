import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { QUEUE_NAMES } from '@imk/config';
import { countJobs, type QueueCounts } from '@imk/fsqueue';
import { contextFrom, print } from '../context.ts';

/** `imk queue ls` */
export async function queueLsCommand(options: { root?: string; json?: boolean }): Promise<void> {
  const { paths } = contextFrom(options);
  const rows: (QueueCounts & { queue: string })[] = [];
  for (const name of await queueNames(paths.queues))
    rows.push({ queue: name, ...(await countJobs(join(paths.queues, name))) });
  if (options.json) {
    print(JSON.stringify(rows, null, 2));
    return;
  }
  const header = [
    'QUEUE',
    'READY',
    'CLAIMED',
    'SUCCEEDED',
    'FAILED',
    'REJECTED',
    'CANCELLED',
    'TMP',
    'OLDEST READY',
  ];
  const table = rows.map((row) => [
    row.queue,
    ...[row.ready, row.claimed, row.succeeded, row.failed, row.rejected, row.cancelled, row.tmp].map(String),
    row.oldestReadyAgeSec === null ? '-' : formatAge(row.oldestReadyAgeSec),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...table.map((cells) => cells[column]!.length)),
  );
  for (const cells of [header, ...table])
    print(
      cells
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    );
}

/** The three standard queues, plus any other folder found under queues/. */
async function queueNames(queuesDir: string): Promise<string[]> {
  const names: string[] = [...QUEUE_NAMES];
  const entries = await readdir(queuesDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries)
    if (entry.isDirectory() && !names.includes(entry.name) && !entry.name.startsWith('.'))
      names.push(entry.name);
  return names;
}

export function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3600)}h`;
}
