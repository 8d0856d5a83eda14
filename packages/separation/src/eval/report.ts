import { EVAL_STEMS, type EvalReport } from './scores.ts';

const CENTRE_CANCEL_NOTE =
  'centre-cancel: vocals = (L+R)/2 on both channels, accompaniment = mixture − vocals = ((L−R)/2, (R−L)/2); drums, bass and other get the accompaniment estimate.';

/** The one table `imk eval` prints: per set and stem, the engine's SDR, the floor, centre cancellation. */
export function formatEvalTable(report: EvalReport): string {
  const engine = report.engine.name;
  const header = ['set', 'stem', engine, 'floor', 'centre-cancel', `${engine}−floor`];
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const set of report.sets) {
    const label = `${set.title} (${set.tracks.length})`;
    if (set.stems === null) {
      rows.push([set.title, '—', 'not evaluated', '', '', '']);
      notes.push(`${set.title}: ${set.missing ?? 'no tracks'}`);
      continue;
    }
    for (const [n, stem] of EVAL_STEMS.entries()) {
      const s = set.stems[stem];
      const gain = s.engine === null || s.floor === null ? null : s.engine - s.floor;
      rows.push([n === 0 ? label : '', stem, db(s.engine), db(s.floor), db(s.centre_cancel), db(gain, true)]);
    }
  }
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c < 2 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  return [
    `engine ${engine} ${report.engine.version}: SDR in dB (museval v4: median over 1-s windows, then median over tracks; higher is better)`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    'floor: the unprocessed mixture used as every estimate.',
    CENTRE_CANCEL_NOTE,
    ...notes,
  ].join('\n');
}

function db(value: number | null, signed = false): string {
  if (value === null) return '–';
  return `${signed && value >= 0 ? '+' : ''}${value.toFixed(2)}`;
}
