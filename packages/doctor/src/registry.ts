import { ImkError, errorMessage } from '@imk/errors';
import { redactText } from '@imk/log';
import type { CheckResult, DoctorCheck, DoctorContext } from './types.ts';
import './errors.ts';

export interface CheckOutcome {
  check: DoctorCheck;
  result: CheckResult;
  ms: number;
}

export interface DoctorReport {
  outcomes: CheckOutcome[];
  /** False when a required check failed. */
  ok: boolean;
}

export interface Doctor {
  /** Adds checks; an id registered twice is refused (two services claiming the same check is a bug). */
  register(...checks: DoctorCheck[]): Doctor;
  list(): DoctorCheck[];
  /**
   * Runs every check (or those of the given groups) at the same time; a check that throws counts as failed.
   * A group no check belongs to is refused, naming the groups there are.
   */
  run(context: DoctorContext, options?: { groups?: string[] }): Promise<DoctorReport>;
}

/** A registry of checks, so each service adds its own without the doctor knowing them. */
export function createDoctor(initial: DoctorCheck[] = []): Doctor {
  const checks = new Map<string, DoctorCheck>();
  const doctor: Doctor = {
    register(...added) {
      for (const check of added) {
        if (checks.has(check.id))
          throw new ImkError('DOCTOR_DUPLICATE_CHECK', `doctor check "${check.id}" is registered twice`);
        checks.set(check.id, check);
      }
      return doctor;
    },
    list: () => [...checks.values()],
    async run(context, options = {}) {
      // A misspelt group (`--group worke`) chose no check, and the report said "all required checks passed".
      const known = [...new Set([...checks.values()].map((check) => check.group))];
      const unknown = (options.groups ?? []).filter((group) => !known.includes(group));
      if (unknown.length > 0)
        throw new ImkError(
          'DOCTOR_UNKNOWN_GROUP',
          `no doctor check is in the group${unknown.length > 1 ? 's' : ''} ${unknown.map((g) => `"${g}"`).join(', ')}; the groups are: ${known.join(', ')}`,
          { details: { unknown, known } },
        );
      const chosen = [...checks.values()].filter(
        (check) => !options.groups || options.groups.includes(check.group),
      );
      // All at once: most checks wait on a program (ffmpeg -version, yt-dlp --version) or the disk, so the
      // report takes as long as the slowest check, not the sum; it lists them in registration order.
      const outcomes = await Promise.all(chosen.map((check) => runCheck(check, context)));
      return { outcomes, ok: !outcomes.some((o) => o.check.required && o.result.status === 'fail') };
    },
  };
  return doctor.register(...initial);
}

async function runCheck(check: DoctorCheck, context: DoctorContext): Promise<CheckOutcome> {
  const started = performance.now();
  let result: CheckResult;
  try {
    result = await check.run(context);
  } catch (error) {
    result = { status: 'fail', summary: `the check itself failed: ${errorMessage(error)}` };
  }
  return { check, result: redactResult(result), ms: Math.round(performance.now() - started) };
}

/**
 * A check's words reach a terminal, a JSON report and the dashboard: credentials in them (a URL with a
 * password, a `"token": "…"` pair) are removed here, once, whatever the check wrote.
 */
function redactResult(result: CheckResult): CheckResult {
  return {
    ...result,
    summary: redactText(result.summary),
    ...(result.fix !== undefined && { fix: redactText(result.fix) }),
  };
}

const LABEL: Record<CheckResult['status'], string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

/** The report as text: one line per check, the fix indented below each problem, a verdict at the end. */
export function formatReport(report: DoctorReport): string {
  const width = Math.max(...report.outcomes.map((o) => o.check.title.length), 10);
  const lines: string[] = [];
  for (const { check, result } of report.outcomes) {
    const optional = result.status === 'fail' && !check.required ? ' (optional)' : '';
    lines.push(`${LABEL[result.status]}  ${check.title.padEnd(width)}  ${result.summary}${optional}`);
    if (result.fix && result.status !== 'ok') lines.push(`      ${' '.repeat(width)}  fix: ${result.fix}`);
  }
  const failed = report.outcomes.filter((o) => o.result.status === 'fail');
  const warned = report.outcomes.filter((o) => o.result.status === 'warn');
  lines.push('');
  lines.push(
    report.ok
      ? `all required checks passed${warned.length + failed.length > 0 ? ` (${warned.length} warning(s), ${failed.length} optional problem(s))` : ''}`
      : `${failed.filter((o) => o.check.required).length} required check(s) failed`,
  );
  return lines.join('\n');
}
