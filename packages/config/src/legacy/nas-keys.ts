import { NAS_SYNC } from '../service-names.ts';
import {
  LOCAL_BACKEND,
  NAS_ROOTS,
  backendFor,
  expandLegacyTo,
  rsyncServers,
  rsyncTarget,
  usesRsync,
  type RsyncServer,
} from './nas-rsync-hosts.ts';
import type { LegacyChange, LegacyEnv, LegacyKey } from './types.ts';

const FILE = NAS_SYNC;
/** The earlier version's default when NAS_SYNC_ROUTES was not set. */
const DEFAULT_ROUTES = [{ kind: 'audio', variant: 'instrumental', to: '${remoteRoots.audio}/Instrumental' }];
const BACKEND = LOCAL_BACKEND;

/**
 * A yes/no variable as its NAS sync service read it (services/nas_sync_service/config.py:
 * `os.getenv(KEY, default).lower() == "true"`): only `true`, in any case, is true. `1`, `yes` and `on`, which
 * app/config.py took for true, were false there.
 */
function nasBool(value: string): boolean {
  return value.trim().toLowerCase() === 'true';
}

/** Its NAS_DRY_RUN=true: the service ran, logged what it would send, and sent nothing. */
const dryRun = (env: LegacyEnv): boolean => env.NAS_DRY_RUN !== undefined && nasBool(env.NAS_DRY_RUN);

const set = (path: (string | number)[], value: unknown, comment: string): LegacyChange => ({
  file: FILE,
  path: ['nasSync', ...path],
  value,
  comment,
});

/** The backend the earlier NAS_SYNC_METHOD meant, or undefined for plain local copies. */
function backendOf(env: LegacyEnv): Record<string, unknown> | string | undefined {
  const method = (env.NAS_SYNC_METHOD ?? 'rsync').toLowerCase();
  switch (method) {
    case 'local':
      return undefined;
    case 'rsync': {
      const backend: Record<string, unknown> = { type: 'rsync' };
      const extra: string[] = [];
      if (env.NAS_RSYNC_COMPRESS === undefined || nasBool(env.NAS_RSYNC_COMPRESS)) extra.push('--compress');
      if (extra.length > 0) backend.extraArgs = extra;
      const kb = Number(env.NAS_RSYNC_BW_LIMIT ?? '0');
      if (Number.isFinite(kb) && kb > 0) backend.bandwidthLimit = `${kb}K`;
      return backend;
    }
    case 's3': {
      if (!env.NAS_S3_BUCKET) return 'NAS_SYNC_METHOD=s3 but NAS_S3_BUCKET is not set';
      const backend: Record<string, unknown> = {
        type: 's3',
        bucket: env.NAS_S3_BUCKET,
        prefix: env.NAS_S3_PREFIX ?? 'instrumental-maker',
        region: env.NAS_S3_REGION || 'us-east-1',
      };
      if (env.NAS_S3_ENDPOINT) {
        backend.endpoint = env.NAS_S3_ENDPOINT;
        backend.forcePathStyle = true;
      }
      return backend;
    }
    case 'scp': {
      if (!env.NAS_SCP_HOST || !env.NAS_SCP_USER)
        return 'NAS_SYNC_METHOD=scp needs NAS_SCP_HOST and NAS_SCP_USER';
      return {
        type: 'sftp',
        host: env.NAS_SCP_HOST,
        username: env.NAS_SCP_USER,
        privateKeyFile: env.NAS_SCP_KEY ?? '/home/user/.ssh/id_rsa',
      };
    }
    default:
      return `NAS_SYNC_METHOD=${method} is not one the earlier version knew (rsync, s3, scp, local)`;
  }
}

/** The `to` of each route it read (NAS_SYNC_ROUTES, or its default), its remote roots put in. */
function expandedTos(env: LegacyEnv): string[] {
  let list: unknown = DEFAULT_ROUTES;
  if (env.NAS_SYNC_ROUTES) {
    try {
      list = JSON.parse(env.NAS_SYNC_ROUTES);
    } catch {
      return [];
    }
  }
  if (!Array.isArray(list)) return [];
  return list
    .map((entry: unknown) =>
      typeof entry === 'object' && entry !== null ? (entry as { to?: unknown }).to : '',
    )
    .filter((to): to is string => typeof to === 'string' && to !== '')
    .map((to) => expandLegacyTo(to, env));
}

/** The servers its rsync reached over ssh (from its roots and routes); none for another method. */
const serversOf = (env: LegacyEnv): RsyncServer[] => rsyncServers(env, expandedTos(env));

/** False in the earlier version's Python: None, False, 0, "", [] and {}. */
function pythonFalsy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

function routes(env: LegacyEnv): { routes: Record<string, unknown>[]; note: string } | string {
  let list: unknown = DEFAULT_ROUTES;
  // Only reached with NAS_SYNC_ROUTES not set in the environment `imk migrate` read (with --env, a .env that does
  // not set it is read as its docker-compose.yml passed it: empty, below).
  let note =
    'the earlier default (NAS_SYNC_ROUTES not set in the environment: its config.py then used this route; run by its docker-compose.yml, which passed an unset one on as empty, it had no routes: then remove these to keep sending nothing)';
  // Set but empty (`NAS_SYNC_ROUTES=`, as its compose file's ${NAS_SYNC_ROUTES:-} passed an unset one): its
  // config.py got "" (not its default), json.loads("") failed and it had no routes, so it sent nothing.
  if (env.NAS_SYNC_ROUTES !== undefined && env.NAS_SYNC_ROUTES.trim() === '')
    return 'NAS_SYNC_ROUTES is empty: the earlier NAS sync service then had no routes at all (json.loads("") failed) and sent nothing; nothing written: write the routes you want in config/nas-sync.yaml';
  if (env.NAS_SYNC_ROUTES) {
    try {
      list = JSON.parse(env.NAS_SYNC_ROUTES);
      note = 'from NAS_SYNC_ROUTES';
    } catch (error) {
      return `NAS_SYNC_ROUTES is not valid JSON (${(error as Error).message}); the earlier version ignored it too`;
    }
  }
  if (!Array.isArray(list)) return 'NAS_SYNC_ROUTES is not a JSON list of routes';
  const backend = backendOf(env);
  const servers = serversOf(env);
  const out: Record<string, unknown>[] = [];
  // Every entry not converted as it was is named with the reason: none vanishes without a word.
  const left: string[] = [];
  const skips: string[] = [];
  const matched: string[] = [];
  list.forEach((entry: unknown, index) => {
    const at = `NAS_SYNC_ROUTES[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      left.push(`${at} (${JSON.stringify(entry)?.slice(0, 60)}) is not a route`);
      return;
    }
    let r = entry as Record<string, unknown>;
    // `{"match": {"kind": …, "variant": …}, "to": …}` is the shape of its nasSync config (app/nas_sync_service.py
    // read `match`), which its users copied into NAS_SYNC_ROUTES; its NAS sync service read only the top-level
    // kind/variant, so such a route matched every artifact. Dropping `match` silently made the first one take
    // everything here too: what it says is read instead, and said.
    const match = r.match;
    if (
      typeof match === 'object' &&
      match !== null &&
      !Array.isArray(match) &&
      pythonFalsy(r.kind) &&
      pythonFalsy(r.variant)
    ) {
      const { kind, variant } = match as Record<string, unknown>;
      r = { ...r, kind, variant };
      matched.push(at);
    }
    // The legacy shape as it was: kind, variant, and `to` a folder the file keeps its name in. Its code
    // (`if route_kind and artifact_kind != route_kind`) took a missing or falsy kind/variant as "any"; any
    // other value that is not text never equalled an artifact's, so that route never matched: dropping the
    // field would make it match everything.
    const route: Record<string, unknown> = {};
    for (const field of ['kind', 'variant'] as const) {
      const value = r[field];
      if (typeof value === 'string' && value !== '') route[field] = value;
      else if (!pythonFalsy(value)) {
        left.push(
          `${at} has a ${field} that is not text (${JSON.stringify(value)?.slice(0, 60)}); the earlier version never matched it`,
        );
        return;
      }
    }
    if (typeof r.to !== 'string' || r.to === '') {
      // The earlier version took the first matching route and, with no "to", sent nothing for it: a skip
      // route keeps it so (left out, a later route would take those artifacts).
      route.skip = true;
      skips.push(
        `${at} has no "to": written as skip: true (the earlier version sent nothing for what it matched)`,
      );
      out.push(route);
      return;
    }
    route.to = r.to;
    if (typeof backend === 'object') route.backend = BACKEND;
    if (usesRsync(env)) {
      // rsync read `to` as it came: `me@nas:/volume1/x` went over ssh to that server, `host::module` to an
      // rsync daemon. The server is its backend's here, and `to` the folder on it.
      const target = rsyncTarget(r.to);
      if (target.where === 'daemon') {
        left.push(
          `${at} sends to an rsync daemon (${r.to}), which our rsync backend does not reach: use rsync over ssh`,
        );
        return;
      }
      if (target.where === 'server') {
        if (!target.path.startsWith('/')) {
          left.push(
            `${at} names a folder relative to the login folder on ${target.server.host} (${r.to}): write an absolute one`,
          );
          return;
        }
        route.to = target.path;
      }
      route.backend = backendFor(expandLegacyTo(r.to, env), servers);
    }
    out.push(route);
  });
  if (out.length === 0 && left.length > 0) return `NAS_SYNC_ROUTES has no usable route: ${left.join('; ')}`;
  if (matched.length > 0)
    note = `${note}; ${matched.join(', ')} name kind/variant under "match" (the shape of its nasSync config): read as that match (its NAS sync service ignored "match" and sent every artifact by the first such route)`;
  if (skips.length > 0) note = `${note}; ${skips.join('; ')}`;
  if (left.length > 0) note = `${note}; left out: ${left.join('; ')}`;
  return { routes: out, note };
}

/** The NAS sync service's variables (services/nas_sync_service/config.py), into config/nas-sync.yaml. */
export const NAS_KEYS: LegacyKey[] = [
  {
    key: 'NAS_SYNC_METHOD',
    ours: 'config/nas-sync.yaml: backends.nas (rsync, s3; scp becomes sftp; local needs no backend)',
    convert: (_v, env) => {
      const backend = backendOf(env);
      const enabled = dryRun(env)
        ? set(
            ['enabled'],
            false,
            'NAS_DRY_RUN=true: the earlier NAS sync service sent nothing; imk sync --dry-run shows what would go where even so (sending nothing); set true to send',
          )
        : set(['enabled'], true, 'the earlier NAS sync service ran whenever it was deployed');
      if (typeof backend === 'string') return backend;
      if (backend === undefined) return [enabled];
      const from = `from NAS_SYNC_METHOD=${env.NAS_SYNC_METHOD ?? 'rsync'} and its NAS_* options`;
      const servers = serversOf(env);
      if (servers.length === 0) return [enabled, set(['backends', BACKEND], backend, from)];
      // rsync over ssh to the servers its roots and routes named, one backend each; one for folders here
      // when a route still sends to one.
      const found = routes(env);
      const used = new Set(typeof found === 'string' ? [] : found.routes.map((r) => r.backend));
      return [
        enabled,
        ...servers.map((server) =>
          set(
            ['backends', server.backend],
            { ...backend, host: server.host, ...(server.username && { username: server.username }) },
            `${from}: rsync over ssh to ${server.username ? `${server.username}@` : ''}${server.host}, as its roots and routes named it`,
          ),
        ),
        ...(used.has(`${LOCAL_BACKEND}-local`)
          ? [set(['backends', `${LOCAL_BACKEND}-local`], backend, `${from}: to folders on this host`)]
          : []),
      ];
    },
  },
  ...Object.entries(NAS_ROOTS).map(([key, root]): LegacyKey => ({
    key,
    ours: `config/nas-sync.yaml: remoteRoots.${root}`,
    convert: (v, env) => {
      if (!v) return `${key}: empty`;
      const target = usesRsync(env) ? rsyncTarget(v) : undefined;
      if (target?.where === 'daemon')
        return `${key}=${v} is an rsync daemon, which our rsync backend does not reach: use rsync over ssh (user@host:/folder)`;
      if (target?.where !== 'server') return [set(['remoteRoots', root], v, `from ${key}`)];
      if (!target.path.startsWith('/'))
        return `${key}=${v} is a folder relative to the login folder on ${target.server.host}: write an absolute one`;
      const backend = backendFor(v, serversOf(env));
      return [
        set(
          ['remoteRoots', root],
          target.path,
          `from ${key}=${v}: a folder on ${target.server.host}, reached over ssh by backends.${backend}`,
        ),
      ];
    },
  })),
  {
    key: 'NAS_SYNC_ROUTES',
    ours: 'config/nas-sync.yaml: routes (same shape: kind, variant, to a folder; no `to` = `skip: true`)',
    // Its docker-compose.yml: `NAS_SYNC_ROUTES=${NAS_SYNC_ROUTES:-}`: not set in the .env, it reached config.py empty.
    composeDefault: '',
    convert: (_v, env) => {
      const found = routes(env);
      return typeof found === 'string' ? found : [set(['routes'], found.routes, found.note)];
    },
  },
  {
    key: 'NAS_SKIP_ON_MISSING_REMOTE',
    ours: 'config/nas-sync.yaml: unrouted: warn (its service skipped an unrouted artifact with a warning whatever the value; our fail records them as failures)',
    // Its code skipped an unrouted artifact with a warning either way: with false, resolve_all_artifacts kept
    // it with no remote path and process_manifest skipped it ("has no remote path"), counted as skipped,
    // never a failure. `fail` here would turn those into failures (imk sync --once exits 2).
    convert: (v) => [
      set(
        ['unrouted'],
        'warn',
        nasBool(v)
          ? `from NAS_SKIP_ON_MISSING_REMOTE=${v}`
          : `from NAS_SKIP_ON_MISSING_REMOTE=${v}: the earlier service skipped an unrouted artifact with a warning all the same (only its log line differed); fail records them as failures`,
      ),
    ],
  },
  {
    key: 'NAS_POLL_INTERVAL_SEC',
    ours: 'config/nas-sync.yaml: pollIntervalSec',
    identical: true,
    convert: (v) => {
      const n = Number(v);
      return Number.isFinite(n) && n > 0
        ? [set(['pollIntervalSec'], n, `from NAS_POLL_INTERVAL_SEC=${v}`)]
        : `NAS_POLL_INTERVAL_SEC=${v} is not a number`;
    },
  },
  {
    key: 'NAS_DRY_RUN',
    none: 'a dry run is a command, not a setting: imk sync --dry-run prints what would go where, also while sync is disabled; NAS_DRY_RUN=true (nothing was sent) writes nasSync.enabled: false, so nothing is sent until you set it true',
  },
  ...['NAS_RSYNC_BW_LIMIT', 'NAS_RSYNC_COMPRESS'].map((key): LegacyKey => ({
    key,
    ours: 'config/nas-sync.yaml: backends.nas (bandwidthLimit, extraArgs --compress)',
  })),
  ...['NAS_S3_BUCKET', 'NAS_S3_PREFIX', 'NAS_S3_REGION', 'NAS_S3_ENDPOINT'].map((key): LegacyKey => ({
    key,
    ours: 'config/nas-sync.yaml: backends.nas (type s3: bucket, prefix, region, endpoint)',
  })),
  ...['NAS_SCP_HOST', 'NAS_SCP_USER', 'NAS_SCP_KEY'].map((key): LegacyKey => ({
    key,
    ours: 'config/nas-sync.yaml: backends.nas (type sftp: host, username, privateKeyFile)',
  })),
  {
    key: 'NAS_SYNC_WORK_DIR',
    none: 'nas-sync needs no work folder; what it sent is in state/ (receipts), so a restart does not send everything again',
  },
  { key: 'NAS_SYNC_LOG_FILE', none: 'services log JSON lines to stdout' },
  { key: 'NAS_LOG_LEVEL', none: 'set IMK_LOG_LEVEL' },
  {
    key: 'NAS_WATCH_PATTERN',
    none: 'nas-sync reads outputs/<job_id>/manifest.json, written last when a job is complete',
  },
  { key: 'NAS_DAEMON_MODE', none: 'imk run nas-sync runs continuously; imk sync --once does one pass' },
];

/** The variables its NAS sync service read: one of them in a .env says that service was used. */
export const NAS_SYNC_SERVICE_KEYS: readonly string[] = NAS_KEYS.map((entry) => entry.key);
