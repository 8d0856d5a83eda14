import { access, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { QUEUE_NAMES } from '@imk/config';
import { formatBytes } from '@imk/log';
import type { CheckResult, DoctorCheck } from '../types.ts';

/** Each queue folder exists (or can be created) and takes a file: written, then removed. */
export const queuesWritableCheck: DoctorCheck = {
  id: 'queues-writable',
  title: 'queue folders',
  group: 'system',
  required: true,
  async run({ paths }): Promise<CheckResult> {
    const problems: string[] = [];
    const missing: string[] = [];
    for (const name of QUEUE_NAMES) {
      const dir = join(paths.queues, name);
      if (!(await exists(dir))) {
        missing.push(name);
        const parent = (await exists(paths.queues)) ? paths.queues : await nearestExisting(paths.queues);
        if (!(await writable(parent))) problems.push(`${dir} is missing and ${parent} is not writable`);
        continue;
      }
      if (!(await stat(dir)).isDirectory()) {
        problems.push(`${dir} is a file, not a folder`);
        continue;
      }
      const probe = join(dir, `.imk-doctor-${process.pid}`);
      try {
        await writeFile(probe, 'probe');
        await rm(probe, { force: true });
      } catch (error) {
        problems.push(`${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
    if (problems.length > 0)
      return {
        status: 'fail',
        summary: problems.join('; '),
        fix: `move away anything in ${paths.queues} that is not a folder, then: sudo mkdir -p ${QUEUE_NAMES.map((q) => join(paths.queues, q)).join(' ')} && sudo chown -R "$(id -u):$(id -g)" ${paths.queues}`,
      };
    const note = missing.length > 0 ? ` (${missing.join(', ')} will be created on first use)` : '';
    return { status: 'ok', summary: `${paths.queues}: ${QUEUE_NAMES.join(', ')} writable${note}` };
  },
};

const GIB = 1024 ** 3;
/** Free space below which `imk doctor` fails and warns when not told otherwise. */
export const DISK_CHECK_DEFAULTS = { failBelowBytes: GIB, warnBelowBytes: 10 * GIB } as const;

export interface DiskCheckOptions {
  /** Below this, fail. @default DISK_CHECK_DEFAULTS.failBelowBytes (1 GiB) */
  failBelowBytes?: number;
  /** Below this, warn. @default DISK_CHECK_DEFAULTS.warnBelowBytes (10 GiB) */
  warnBelowBytes?: number;
}

/** Free space where queues and outputs live (downloads, stems and variants take several times a song's size). */
export function freeDiskCheck(options: DiskCheckOptions = {}): DoctorCheck {
  const failBelow = options.failBelowBytes ?? DISK_CHECK_DEFAULTS.failBelowBytes;
  const warnBelow = options.warnBelowBytes ?? DISK_CHECK_DEFAULTS.warnBelowBytes;
  return {
    id: 'free-disk',
    title: 'free disk',
    group: 'system',
    required: true,
    async run({ paths }): Promise<CheckResult> {
      const where = await nearestExisting(paths.root);
      const info = await statfs(where);
      const free = info.bavail * info.bsize;
      const text = `${formatBytes(free)} free on the filesystem of ${where}`;
      const fix = `free space: \`imk cleanup\` removes old archives, caches and temp files; or move the root to a bigger disk`;
      if (free < failBelow)
        return {
          status: 'fail',
          summary: `${text}; below ${formatBytes(failBelow)}, downloads and separation will fail`,
          fix,
        };
      if (free < warnBelow)
        return { status: 'warn', summary: `${text}; below ${formatBytes(warnBelow)}`, fix };
      return { status: 'ok', summary: text };
    },
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function writable(path: string): Promise<boolean> {
  try {
    await access(path, 2 /* W_OK */);
    return true;
  } catch {
    return false;
  }
}

/** The path itself when it exists, else its nearest existing ancestor (where it would be created). */
export async function nearestExisting(path: string): Promise<string> {
  let current = path;
  while (!(await exists(current))) {
    const parent = dirname(current);
    if (parent === current) return current;
    current = parent;
  }
  return current;
}
