import { QUEUE_NAMES } from '@imk/config';
import { countQueues } from '@imk/fsqueue';
import { contextFrom, print } from '../context.ts';

/** `imk queue ls` */
export async function queueLsCommand(options: { root?: string; json?: boolean }): Promise<void> {
  const { paths } = contextFrom(options);
  const rows = await countQueues(paths.queues, QUEUE_NAMES);
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

export function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3600)}h`;
}
