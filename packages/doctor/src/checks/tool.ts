import { execa } from 'execa';
import { errorMessage } from '@imk/errors';
import { OWN_PROCESS_GROUP, resolveTool, trackToolGroup } from '@imk/tools';
import type { CheckResult, DoctorCheck } from '../types.ts';

export interface ToolCheckOptions {
  id?: string;
  title?: string;
  group?: string;
  required?: boolean;
  /** Arguments that print the version. @default ['-version'] */
  versionArgs?: string[];
  /** How to install it, shown when it is missing. */
  install: string;
}

/** A check that a program is found (through the one tool resolver) and says its version. */
export function toolCheck(name: string, options: ToolCheckOptions): DoctorCheck {
  return {
    id: options.id ?? name,
    title: options.title ?? name,
    group: options.group ?? 'system',
    required: options.required ?? true,
    async run(context): Promise<CheckResult> {
      let path: string;
      try {
        path = await resolveTool(name, { env: context.env, fresh: true });
      } catch (error) {
        return { status: 'fail', summary: errorMessage(error), fix: options.install };
      }
      // Run by `imk up`'s health checks too: in a group of its own, a Ctrl-C does not make it a failed check.
      const version = await trackToolGroup(
        execa(path, options.versionArgs ?? ['-version'], {
          ...OWN_PROCESS_GROUP,
          reject: false,
          stdin: 'ignore',
          timeout: 15_000,
        }),
      );
      const first = `${version.stdout}`.split('\n')[0]?.trim();
      if (version.exitCode !== 0 || !first)
        return {
          status: 'fail',
          summary: `${path} is there but does not run (${version.stderr.trim() || `exit ${String(version.exitCode)}`})`,
          fix: options.install,
        };
      return { status: 'ok', summary: `${first} (${path})` };
    },
  };
}
