import { EVAL_STEMS, type EvalReport, type EvalSplit } from './scores.ts';

const NOTES = [
  'floor: the unprocessed mixture used as every estimate.',
  'centre-cancel: vocals = (L+R)/2 on both channels, accompaniment = mixture − vocals = ((L−R)/2, (R−L)/2).',
  "REPET-SIM: nussl's defaults (whole-song cosine similarity, ≤100 frames ≥1 s apart, median, soft mask, <100 Hz kept in the accompaniment).",
  'The baselines make no drums/bass/other: those rows score their accompaniment estimate.',
];
const UNDEFINED_NOTE =
  '–: SDR undefined: no whole 1-s window where the reference and the estimate are both non-silent (a silent stem, or a song shorter than 1 s); a median leaves such songs out.';
const INFINITE_NOTE =
  '+∞: a perfect estimate: equal to the reference sample for sample in most counted 1-s windows (nothing left to subtract); a median counts it as the highest score. −∞ in a difference: the other method was perfect.';

/**
 * The table `imk eval` prints: per set and stem, the engine's SDR beside the floor, centre cancellation
 * and REPET-SIM. Only the sets of `splits` are shown (by default the held-out `test` sets).
 */
export function formatEvalTable(report: EvalReport, splits: readonly EvalSplit[] = ['test']): string {
  const engine = report.engine.name;
  const header = [
    'set',
    'stem',
    engine,
    'floor',
    'centre-cancel',
    'REPET-SIM',
    `${engine}−floor`,
    `${engine}−REPET`,
  ];
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const set of report.sets.filter((s) => splits.includes(s.split))) {
    const failed = set.failed;
    const count =
      failed.length === 0
        ? `${set.tracks.length}`
        : `${set.tracks.length} of ${set.tracks.length + failed.length}`;
    const label = `${set.title} [${set.split}] (${count})`;
    for (const f of failed) notes.push(`${set.title}: ${f.name} not scored: ${f.message} [${f.code}]`);
    if (set.stems === null) {
      rows.push([label, '—', 'not evaluated', '', '', '', '', '']);
      if (failed.length === 0) notes.push(`${set.title}: ${set.missing ?? 'no tracks'}`);
      continue;
    }
    for (const [n, stem] of EVAL_STEMS.entries()) {
      const s = set.stems[stem];
      rows.push([
        n === 0 ? label : '',
        stem,
        db(s.engine),
        db(s.floor),
        db(s.centre_cancel),
        db(s.repet_sim),
        db(diff(s.engine, s.floor), true),
        db(diff(s.engine, s.repet_sim), true),
      ]);
    }
  }
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c < 2 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  return [
    `engine ${engine} ${report.engine.version}: SDR in dB (museval v4: median over 1-s windows, then median over songs; higher is better); sets shown: ${splits.join(', ')}`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    ...NOTES,
    ...(rows.some((r) => r.slice(2).includes('–')) ? [UNDEFINED_NOTE] : []),
    ...(rows.some((r) => r.slice(2).some((cell) => cell.endsWith('∞'))) ? [INFINITE_NOTE] : []),
    ...notes,
  ].join('\n');
}

function diff(a: number | null, b: number | null): number | null {
  if (a === null || b === null) return null;
  // Both perfect: no difference (∞ − ∞ would be NaN).
  return a === b ? 0 : a - b;
}

function db(value: number | null, signed = false): string {
  if (value === null) return '–';
  if (value === Number.POSITIVE_INFINITY) return '+∞';
  if (value === Number.NEGATIVE_INFINITY) return '−∞';
  return `${signed && value >= 0 ? '+' : ''}${value.toFixed(2)}`;
}

/**
 * The report as `imk eval --json` writes it: valid JSON, where a perfect score (+Infinity, which JSON
 * cannot hold and `JSON.stringify` would turn into null, the "undefined" of a silent stem) is the string
 * "Infinity"; `Number()` in JavaScript and `float()` in Python read it back.
 */
export function evalReportJson(report: EvalReport): string {
  return JSON.stringify(
    report,
    (_key, value: unknown) =>
      value === Number.POSITIVE_INFINITY
        ? 'Infinity'
        : value === Number.NEGATIVE_INFINITY
          ? '-Infinity'
          : value,
    2,
  );
}
