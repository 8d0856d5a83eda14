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
  // One look at a time, and one more after it when asked meanwhile: two looks at once could end in the
  // wrong order, the older answer shown last.
  let looking: Promise<void> | undefined;
  let again = false;
  const look = (): void => {
    if (looking) {
      again = true;
      return;
    }
    looking = (async () => {
      do {
        again = false;
        await probe();
      } while (again && !options.signal.aborted);
    })().finally(() => (looking = undefined));
  };
  const timer = setInterval(look, options.intervalMs ?? HEALTH_INTERVAL_MS);
  timer.unref();
  // A check that knows when its answer changes (a config file read again) asks for a look at once.
  const unwatch = options.checks.map((check) => check.watch?.(look));
  options.signal.addEventListener(
    'abort',
    () => {
      clearInterval(timer);
      for (const stop of unwatch) stop?.();
    },
    { once: true },
  );
  look();
}

/**
 * Whether a service shows "running" or "degraded": what its checks said last, kept from the first report
 * on. The checks start with the service and report only changes, so the first report may come before the
 * service runs (a service's start takes a while): it is kept and applied once `running` is called, not
 * dropped (dropped, a service degraded from the start showed green until its reasons changed).
 */
export function createHealthState(options: {
  /** Shows the state: 'running' with no reasons, else 'degraded' with them. */
  show: (state: 'running' | 'degraded', detail: string | undefined, reasons: string[]) => void;
  /** Whether the service is running now (running or degraded), so that a report may show. */
  isRunning: () => boolean;
  /** The detail shown beside the state now (the dashboard's address). */
  detail: () => string | undefined;
}): { report: (reasons: string[]) => void; running: (detail?: string) => void } {
  let reasons: string[] = [];
  const show = (detail: string | undefined): void =>
    options.show(reasons.length === 0 ? 'running' : 'degraded', detail, reasons);
  return {
    report(now) {
      reasons = now;
      if (options.isRunning()) show(options.detail());
    },
    running: (detail) => show(detail),
  };
}
