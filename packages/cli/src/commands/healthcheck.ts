import type { Command } from 'commander';
import { SERVICE_NAMES } from '../services.ts';
import { HEALTHCHECK_MAX_AGE_SECONDS } from './choices.ts';
import { lazyAction } from './lazy-action.ts';
import { withRoot } from './root-option.ts';

/**
 * For container health checks: exit 0 when the service's heartbeat on this host is fresh and says
 * running (and, for web, /healthz answers); else exit 1 with the reason.
 */
export function registerHealthcheck(program: Command): void {
  withRoot(
    program
      .command('healthcheck')
      .argument('<service>', `one of: ${SERVICE_NAMES.join(', ')}`)
      .option('--max-age <seconds>', 'oldest acceptable heartbeat', String(HEALTHCHECK_MAX_AGE_SECONDS))
      .description(
        'exit 0 if the service runs on this host (its heartbeat is fresh), else 1: for Docker health checks',
      ),
  ).action(lazyAction(async () => (await import('../actions/healthcheck.ts')).healthcheckCommand));
}
