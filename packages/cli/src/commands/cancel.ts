import type { Command } from 'commander';
import { lazyAction } from './lazy-action.ts';
import { withExamples } from './examples.ts';
import { withRoot } from './root-option.ts';

/** How long `imk cancel` waits for a running job to stop when --wait is not given (docs: cancel-wait-seconds). */
export const CANCEL_WAIT_SECONDS = 30;

export function registerCancel(program: Command): void {
  withExamples(
    withRoot(
      program
        .command('cancel')
        .argument('<id>', 'id of a ready (queued) or running job')
        .option('--reason <text>', 'why; kept in imk-cancel.json beside the bundle and in the ledger')
        .option(
          '--wait <seconds>',
          'how long to wait for a running job to stop (0: do not wait)',
          String(CANCEL_WAIT_SECONDS),
        )
        .description(
          'cancel a job: a queued one is archived in cancelled/ at once; a running one is stopped by its worker (on any host), its partial outputs removed and nothing published; `imk retry` brings it back',
        ),
    ),
    [
      ['imk cancel yt_dQw4w9WgXcQ_audio --reason "queued by mistake"', 'cancel a job, saying why'],
      ['imk retry yt_dQw4w9WgXcQ_audio', 'bring it back later'],
    ],
  ).action(lazyAction(async () => (await import('../actions/cancel.ts')).cancelCommand));
}
