import { describe, expect, it } from 'vitest';
import { centreCancelEstimates, floorEstimates } from '../src/eval/baselines.ts';
import { findMusdbSample } from '../src/eval/eval-sets.ts';
import { formatEvalTable } from '../src/eval/report.ts';
import { EVAL_STEMS, aggregate, median, type EvalReport, type StemScores } from '../src/eval/scores.ts';

const scores = (engine: number): StemScores =>
  Object.fromEntries(
    EVAL_STEMS.map((s) => [s, { engine, floor: 1, centre_cancel: 0.5, repet_sim: 2 }]),
  ) as StemScores;

describe('eval baselines and report', () => {
  it('centre cancellation: vocals = mid on both channels, and vocals + accompaniment = the mixture', () => {
    const left = Float32Array.from([0.5, -0.25, 1]);
    const right = Float32Array.from([0.5, 0.25, 0]);
    const est = centreCancelEstimates([left, right]);
    expect(Array.from(est.vocals[0]!)).toEqual([0.5, 0, 0.5]);
    expect(Array.from(est.vocals[1]!)).toEqual([0.5, 0, 0.5]);
    for (let i = 0; i < 3; i++) {
      expect(est.vocals[0]![i]! + est.accompaniment[0]![i]!).toBeCloseTo(left[i]!, 7);
      expect(est.vocals[1]![i]! + est.accompaniment[1]![i]!).toBeCloseTo(right[i]!, 7);
    }
    expect(est.drums).toBe(est.accompaniment);
    expect(floorEstimates([left, right]).bass[0]).toBe(left);
  });

  it('takes the median over tracks, ignoring undefined scores', () => {
    expect(median([3, null, 1, 2])).toBe(2);
    expect(median([4, 1])).toBe(2.5);
    expect(median([null])).toBeNull();
    const agg = aggregate([
      { name: 'a', engine_seconds: 1, stems: scores(2) },
      { name: 'b', engine_seconds: 1, stems: scores(4) },
    ]);
    expect(agg?.vocals.engine).toBe(3);
  });

  it('counts a perfect score (+Infinity) as the highest in a median, not as undefined', () => {
    expect(median([1, Number.POSITIVE_INFINITY, 2])).toBe(2);
    expect(median([Number.POSITIVE_INFINITY, null])).toBe(Number.POSITIVE_INFINITY);
    expect(median([Number.NaN, 3])).toBe(3);
  });

  it('prints one table with every stem per set, and says clearly when the real excerpt is absent', () => {
    const report: EvalReport = {
      engine: { name: 'builtin', version: '1', params: {} },
      metric: 'x',
      sets: [
        {
          id: 'musdb18-sample',
          title: 'MUSDB18 7-s sample',
          split: 'test',
          missing: 'real excerpt not found: ...; set IMK_EVAL_DIR',
          stems: null,
          tracks: [],
          failed: [],
        },
        {
          id: 'synthetic-test',
          title: 'synthetic corpus',
          split: 'test',
          stems: scores(4.5),
          tracks: [{ name: 'x', engine_seconds: 1, stems: scores(4.5) }],
          failed: [],
        },
      ],
    };
    const table = formatEvalTable(report);
    for (const stem of EVAL_STEMS)
      expect(table).toMatch(
        new RegExp(`${stem}\\s+4\\.50\\s+1\\.00\\s+0\\.50\\s+2\\.00\\s+\\+3\\.50\\s+\\+2\\.50`),
      );
    expect(table).toContain('MUSDB18 7-s sample: real excerpt not found');
    // Songs used for tuning are not in the default table; asked for, they are labelled as such.
    const tune = {
      ...report,
      sets: [{ ...report.sets[1]!, id: 'synthetic-tune', title: 'tuning songs', split: 'tune' as const }],
    };
    expect(formatEvalTable(tune)).not.toContain('tuning songs');
    expect(formatEvalTable(tune, ['tune'])).toContain('tuning songs [tune] (1)');
    expect(table).toContain('not evaluated');
  });

  it('finds the real excerpt through IMK_EVAL_DIR, and reports where it looked when it is not there', () => {
    const absent = findMusdbSample({ IMK_EVAL_DIR: '/nonexistent/eval' });
    expect(absent.searched[0]).toBe('/nonexistent/eval');
  });
});
