import { WEB, configFile, loadServiceConfig, resolvePaths } from '@imk/config';
import { ImkError, errorMessage } from '@imk/errors';
import { createLogger, type Logger } from '@imk/log';
import { startHeartbeat } from '@imk/ops';
import type { ServiceState } from '@imk/service';
import { compositionFor } from './compose/index.ts';
import { createHealthState, healthChecksOf, watchServiceHealth } from './service-health.ts';
import { loadService, type LoadedService } from './services.ts';
import { prepareRoot } from './state-writable.ts';
import './errors.ts';

export type { ServiceState } from '@imk/service';

export interface RunServicesOptions {
  root: string;
  /** The supervisor's own messages. */
  logger: Logger;
  /** Each service's root logger. @default createLogger(name) */
  serviceLogger?: (name: string) => Logger;
  /** Services to run, by registry name. */
  names: readonly string[];
  /** Aborting stops every service (SIGINT/SIGTERM in the commands). */
  signal: AbortSignal;
  /** Extra start options per service (e.g. web: `{ overrides: { port } }`). */
  extras?: Record<string, Record<string, unknown>>;
  /** Called with the dashboard URL once the web service listens. */
  onListening?: (url: string) => void;
}

export interface RunServicesResult {
  /** False when a service failed (threw) rather than stopping when asked. */
  ok: boolean;
  states: ServiceState[];
  /** What each service's start resolved with (the worker: its run summary). */
  results: Map<string, unknown>;
}

/**
 * Runs services side by side in this process until the signal aborts, then waits for each to finish
 * (every service gets the same AbortSignal and resolves once it has stopped cleanly). A service whose
 * package is missing is reported and skipped; one that fails is reported and the others keep running,
 * except the web service: without it the process has no HTTP surface, so everything stops.
 */
export async function runServices(options: RunServicesOptions): Promise<RunServicesResult> {
  const { logger } = options;
  await prepareRoot(options.root, logger);
  // Where everything is read and written: a root given wrongly (a share not mounted, a typo) shows here.
  // An invalid config/paths.yaml is said by the services, as before.
  const paths = (() => {
    try {
      return resolvePaths(options.root);
    } catch {
      return undefined;
    }
  })();
  if (paths)
    logger.info(
      {
        root: paths.root,
        config: paths.config,
        queues: paths.queues,
        outputs: paths.outputs,
        state: paths.state,
      },
      `root ${paths.root}: settings from ${paths.config}, queues in ${paths.queues}, outputs in ${paths.outputs}, state in ${paths.state}`,
    );
  const stop = new AbortController();
  const forward = (): void => stop.abort(options.signal.reason);
  if (options.signal.aborted) forward();
  else options.signal.addEventListener('abort', forward, { once: true });

  const states = new Map<string, ServiceState>();
  const loaded: LoadedService[] = [];
  for (const name of options.names) {
    try {
      loaded.push(await loadService(name, { code: true }));
      states.set(name, { name, state: 'starting' });
    } catch (error) {
      states.set(name, { name, state: 'unavailable', detail: errorMessage(error) });
      logger.warn({ service: name }, errorMessage(error));
    }
  }
  if (loaded.length === 0)
    throw new ImkError('NO_SERVICES', `none of the services could be loaded: ${options.names.join(', ')}`);
  const snapshot = (): ServiceState[] => [...states.values()].map((s) => ({ ...s }));
  let ok = true;
  const results = new Map<string, unknown>();
  // With the dashboard among them, the others start once it listens: a second `imk up` on a root where one
  // runs stops at its port in use before its worker claims a job or its retrievers take a request. The
  // address is announced (onListening) once they have started too.
  let dashboardSettled = (): void => undefined;
  const dashboard = loaded.some((s) => s.name === WEB)
    ? new Promise<void>((resolve) => (dashboardSettled = resolve))
    : Promise.resolve();
  // Each other service once it has started (or will not): only then is "open <url>" said.
  const started = new Map(loaded.filter((s) => s.name !== WEB).map((s) => [s.name, deferred()]));

  const runOne = async (service: LoadedService): Promise<void> => {
    const name = service.name;
    if (name !== WEB) {
      await dashboard;
      if (stop.signal.aborted) {
        states.set(name, { name, state: 'stopped' });
        return;
      }
    }
    const beating = new AbortController();
    let listeningUrl: string | undefined;
    // The container health check (`imk healthcheck <name>`) reads this; the last beat records the end state,
    // and the dashboard's beat its address (whatever port it got), which the check asks /healthz at.
    const heartbeat = await startHeartbeat({
      root: options.root,
      service: name,
      logger,
      signal: beating.signal,
      state: () => states.get(name)?.state ?? 'unknown',
      url: () => listeningUrl,
    });
    const set = (state: ServiceState['state'], detail?: string, reasons?: string[]): void => {
      states.set(name, {
        name,
        state,
        ...(detail !== undefined && { detail }),
        ...(reasons !== undefined && { reasons }),
      });
      void heartbeat.beat();
    };
    // While it runs, the service's own checks say whether it can do its work (running vs degraded).
    const health = createHealthState({
      show: (state, detail, reasons) => {
        if (state === 'running') return set('running', detail);
        set('degraded', detail, reasons);
        logger.warn({ service: name, reasons }, `${name} is running but degraded: ${reasons.join('; ')}`);
      },
      isRunning: () => ['running', 'degraded'].includes(states.get(name)?.state ?? ''),
      detail: () => states.get(name)?.detail,
    });
    watchServiceHealth({
      root: options.root,
      checks: healthChecksOf(service),
      signal: beating.signal,
      report: health.report,
    });
    const serviceLogger = options.serviceLogger?.(name) ?? createLogger(name);
    // What the CLI composes for a service (URL retrievers, sync status), then the command's own extras.
    const extra: Record<string, unknown> = {
      ...(await compositionFor(name, options.root, serviceLogger)),
      ...options.extras?.[name],
    };
    if (name === WEB) {
      extra.services = snapshot;
      extra.onListening = (url: string) => {
        listeningUrl = url;
        health.running(url);
        dashboardSettled();
        void Promise.all([...started.values()].map((d) => d.promise)).then(() => options.onListening?.(url));
      };
    } else {
      health.running();
      started.get(name)?.resolve();
    }
    serviceLogger.info(...(await settingsLine(service, paths?.root ?? options.root)));
    try {
      const result = await service.start({
        root: options.root,
        logger: serviceLogger,
        signal: stop.signal,
        ...extra,
      });
      results.set(name, result);
      set('stopped');
      if (!stop.signal.aborted) logger.info({ service: name }, `${name} has nothing more to do and stopped`);
    } catch (error) {
      if (stop.signal.aborted && isAbort(error)) {
        set('stopped');
        return;
      }
      ok = false;
      set('failed', errorMessage(error));
      logger.error({ service: name, err: errorMessage(error) }, `${name} failed: ${errorMessage(error)}`);
      if (name === WEB) {
        logger.error('the web service failed, so the other services are stopped too');
        stop.abort();
      }
    } finally {
      beating.abort();
      // The last beat records the end state: on disk before runServices returns.
      await heartbeat.stop();
    }
  };
  // However the dashboard's run ends (a throw before it starts included), the others are let go.
  const runs = loaded.map((service) =>
    runOne(service).finally(() => {
      if (service.name === WEB) dashboardSettled();
      started.get(service.name)?.resolve();
    }),
  );
  await Promise.all(runs);
  options.signal.removeEventListener('abort', forward);
  return { ok, states: snapshot(), results };
}

/**
 * Runs one service alone until the signal aborts (`imk run <service>`), with the same heartbeat and health
 * watch as `imk up`. Not ok when it failed, or when its start said some of its work failed (the worker's
 * run summary: a job failed).
 */
export async function runOneService(
  name: string,
  options: { root: string; logger: Logger; signal: AbortSignal; extras?: Record<string, unknown> },
): Promise<{ ok: boolean; summary?: unknown }> {
  const { extras, ...rest } = options;
  const result = await runServices({ ...rest, names: [name], ...(extras && { extras: { [name]: extras } }) });
  const outcome = result.results.get(name) as { ok?: unknown } | undefined;
  return { ok: result.ok && outcome?.ok !== false, summary: result.states[0] };
}

/**
 * A service's start line: the file its settings come from (or that there is none: the defaults) and the
 * IMK_<SERVICE>__… variables set over it. What is wrong with an invalid file is said by the service itself.
 */
async function settingsLine(service: LoadedService, root: string): Promise<[object, string]> {
  const file = configFile(root, service.name);
  try {
    const loaded = await loadServiceConfig({ service: service.name, schema: service.configSchema, root });
    const env = loaded.envOverrides;
    const from = loaded.file === undefined ? `no ${file}: the defaults` : `settings from ${file}`;
    return [
      { config: loaded.file ?? null, env_overrides: env },
      `starting: ${from}${env.length > 0 ? `, with ${env.join(', ')} over them` : ''}`,
    ];
  } catch {
    return [{ config: file }, `starting: ${file} is not valid (the service says why)`];
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function isAbort(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  const name = (error as { name?: unknown }).name;
  return (typeof code === 'string' && /ABORT/i.test(code)) || name === 'AbortError';
}
