import { createDoctor, formatReport, systemChecks, type DoctorCheck } from '@imk/doctor';
import { contextFrom, print } from '../context.ts';
import { loadAllServices } from '../services.ts';
import { operationsChecks } from '../system-checks.ts';

/**
 * Every check: the system ones (ffmpeg, queues, disk) plus the `doctorChecks` of each service's definition
 * (defineService), so a service adds checks without touching this file.
 */
export async function collectDoctorChecks(): Promise<{ checks: DoctorCheck[]; unavailable: string[] }> {
  const checks = systemChecks();
  const { services, unavailable } = await loadAllServices();
  for (const service of services) checks.push(...service.doctorChecks);
  // Configuration, worker, sync, dashboard and disk checks of the system as a whole.
  checks.push(...(await operationsChecks()));
  return { checks, unavailable };
}

/** `imk doctor` */
export async function doctorCommand(options: {
  root?: string;
  group?: string[];
  json?: boolean;
}): Promise<void> {
  const { paths } = contextFrom(options);
  const { checks, unavailable } = await collectDoctorChecks();
  const report = await createDoctor(checks).run(
    { paths, env: process.env, now: new Date() },
    options.group ? { groups: options.group } : {},
  );
  if (options.json) {
    print(
      JSON.stringify(
        {
          ok: report.ok,
          checks: report.outcomes.map(({ check, result }) => ({
            id: check.id,
            group: check.group,
            required: check.required,
            ...result,
          })),
          unavailable_services: unavailable,
        },
        null,
        2,
      ),
    );
  } else {
    print(`imk doctor — root ${paths.root}`);
    print(formatReport(report));
    for (const line of unavailable) print(`note: service ${line}`);
  }
  if (!report.ok) process.exitCode = 1;
}
