import { resolvePaths } from '@imk/config';
import type { DoctorCheck } from '@imk/doctor';
import { errorMessage } from '@imk/errors';
import { redactText } from '@imk/log';

/** How often a running service's health checks are run again (installing deemix clears "degraded"). */
export const HEALTH_INTERVAL_MS = 60_000;

/** The checks that tell whether a running service can do its work: its `healthChecks`, else its `doctorChecks`. */
export function healthChecksOf(service: {
  healthChecks?: readonly DoctorCheck[];
  doctorChecks: readonly DoctorCheck[];
}): readonly DoctorCheck[] {
  return service.healthChecks ?? service.doctorChecks;
}

/** The reasons a service runs but cannot do (all of) its work: one line per failing check. */
export async function degradedReasons(root: string, checks: readonly DoctorCheck[]): Promise<string[]> {
  const reasons: string[] = [];
  const context = { paths: resolvePaths(root), env: process.env, now: new Date() };
  for (const check of checks) {
    try {
      const result = await check.run(context);
      if (result.status === 'fail')
        reasons.push(
          redactText(`${check.title}: ${result.summary}${result.fix ? ` (fix: ${result.fix})` : ''}`),
        );
    } catch (error) {
      reasons.push(redactText(`${check.title}: the check itself failed: ${errorMessage(error)}`));
    }
  }
  return reasons;
}

/**
 * Runs the checks now and every `intervalMs` until the signal aborts, calling `report` with the reasons
 * (an empty list: healthy) whenever they change.
 */
export function watchServiceHealth(options: {
  root: string;
  checks: readonly DoctorCheck[];
  signal: AbortSignal;
  report: (reasons: string[]) => void;
  intervalMs?: number;
}): void {
  if (options.checks.length === 0) return;
  let last = '';
  const probe = async (): Promise<void> => {
    const reasons = await degradedReasons(options.root, options.checks);
    const key = JSON.stringify(reasons);
    if (key !== last && !options.signal.aborted) {
      last = key;
      options.report(reasons);
    }
  };
  const timer = setInterval(() => void probe(), options.intervalMs ?? HEALTH_INTERVAL_MS);
  timer.unref();
  options.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  void probe();
}
