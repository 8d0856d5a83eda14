import { WEB, loadServiceConfig } from '@imk/config';
import { ImkError } from '@imk/errors';
import { readHeartbeat } from '@imk/ops';
import { contextFrom, print } from '../context.ts';
import { SERVICE_NAMES, loadService } from '../services.ts';
import '../errors.ts';

/**
 * For container health checks: exit 0 when the service's heartbeat on this host is fresh and says
 * running (and, for web, /healthz answers); else exit 1 with the reason.
 */
/** `imk healthcheck <service>` */
export async function healthcheckCommand(
  service: string,
  options: { root?: string; maxAge: string },
): Promise<void> {
  if (!SERVICE_NAMES.includes(service))
    throw new ImkError(
      'UNKNOWN_SERVICE',
      `unknown service "${service}"; services: ${SERVICE_NAMES.join(', ')}`,
    );
  // Checked first: a value that is not a number ("60s") made every heartbeat fresh enough (NaN compares
  // false), so a hung service passed its health check forever.
  const maxAge = Number(options.maxAge);
  if (options.maxAge.trim() === '' || !Number.isFinite(maxAge) || maxAge <= 0)
    throw new ImkError(
      'INVALID_OPTION',
      `--max-age is a number of seconds greater than 0, e.g. --max-age 60; got "${options.maxAge}"`,
    );
  const { paths } = contextFrom(options, false);
  const beat = await readHeartbeat(paths.root, service);
  if (!beat)
    throw new ImkError('UNHEALTHY', `${service}: no heartbeat on this host yet (is it running here?)`);
  // Degraded (deemix missing, no route) is alive: restarting the container would not fix it.
  if (beat.state !== 'running' && beat.state !== 'degraded')
    throw new ImkError('UNHEALTHY', `${service}: ${beat.state} (heartbeat of pid ${beat.pid})`);
  if (beat.processGone)
    throw new ImkError(
      'UNHEALTHY',
      `${service}: its process (pid ${beat.pid}) is no longer running (killed?); its last heartbeat said ${beat.state} ${Math.round(beat.ageSec)} s ago. Start it again (imk up, imk run ${service})`,
    );
  if (beat.ageSec > maxAge)
    throw new ImkError(
      'UNHEALTHY',
      `${service}: last heartbeat ${Math.round(beat.ageSec)} s ago (more than ${maxAge} s): hung or stopped`,
    );
  if (service === WEB) {
    // Where it listens, as its heartbeat says (`imk up --port N`, `port: 0`); else the configured port.
    let base = beat.url;
    if (base === undefined) {
      const { configSchema } = await loadService(WEB);
      const { config } = await loadServiceConfig({
        service: WEB,
        schema: configSchema,
        root: paths.root,
      });
      base = `http://127.0.0.1:${(config as { port: number }).port}`; // the schema's default when unset
    }
    const response = await fetch(`${base}/healthz`, {
      signal: AbortSignal.timeout(5000),
    }).catch((error: unknown) => {
      throw new ImkError('UNHEALTHY', `web: ${base}/healthz does not answer (${(error as Error).message})`);
    });
    if (!response.ok) throw new ImkError('UNHEALTHY', `web: /healthz answered ${response.status}`);
  }
  print(`${service}: healthy (heartbeat ${Math.round(beat.ageSec)} s ago, pid ${beat.pid})`);
}
