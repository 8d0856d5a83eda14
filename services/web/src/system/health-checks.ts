import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import { dataFolderProblem, type DataFolder } from '@imk/config';
import { errorMessage } from '@imk/errors';
import type { WebContext } from '../context.ts';

export interface Check {
  name: string;
  ok: boolean;
  /** Runs, but cannot do all of its work (a service without deemix, without routes…). */
  degraded?: boolean;
  detail?: string;
  reasons?: string[];
}

/** A probe creates nothing: a missing data folder is reported (see dataFolderProblem), not made. */
async function dataFolder(ctx: WebContext, which: DataFolder): Promise<Check> {
  const problem = await dataFolderProblem(ctx.paths, which);
  return problem === undefined ? { name: which, ok: true } : { name: which, ok: false, detail: problem };
}

/** state/ is this host's own (never a share): fine when it, or the folder it will be made in, is writable. */
async function stateWritable(dir: string): Promise<Check> {
  let at = dir;
  for (;;) {
    try {
      await access(at, constants.W_OK);
      return { name: 'state', ok: true };
    } catch (error) {
      const parent = dirname(at);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === at)
        return { name: 'state', ok: false, detail: `${dir} is not writable: ${errorMessage(error)}` };
      at = parent;
    }
  }
}

/**
 * What the system needs whatever service runs: queues/ and outputs/ (none created), state/ writable, the
 * ledger readable. One place: /readyz lists these checks, the dashboard's status shows the failing ones.
 */
export async function systemChecks(ctx: WebContext): Promise<Check[]> {
  const checks: Check[] = [
    await dataFolder(ctx, 'queues'),
    await dataFolder(ctx, 'outputs'),
    await stateWritable(ctx.paths.state),
  ];
  try {
    ctx.jobs.ledger()?.listJobs({ limit: 1 });
    checks.push({
      name: 'ledger',
      ok: ctx.jobs.ledger() !== undefined,
      detail: ctx.jobs.ledger()
        ? undefined
        : `the job ledger could not be opened: ${ctx.jobs.ledgerProblem() ?? 'unknown error'}`,
    });
  } catch (error) {
    checks.push({ name: 'ledger', ok: false, detail: errorMessage(error) });
  }
  return checks;
}
