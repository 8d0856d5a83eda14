import { z } from 'zod';
import { NAS_SYNC, configFile, loadServiceConfig, retiredKeys, timerMax } from '@imk/config';
import { MediaServerSchema } from '@imk/notify';
import {
  BackendOptionsSchema,
  CONFLICT_POLICIES,
  RetryPolicySchema,
  RouteSchema,
  SHARE_TIMEOUT_RANGE_SEC,
  SYNC_DEFAULTS,
  compileRoutes,
  DEFAULT_BACKEND,
} from '@imk/sync';

export const SERVICE_NAME = NAS_SYNC;

const NasSyncObjectSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Nothing is synced until this is true.'),
    pollIntervalSec: z
      .number()
      .positive()
      .max(...timerMax('seconds'))
      .default(5)
      .describe('Seconds between listings of outputs/ (the truth; a watcher only hints).'),
    gracePeriodSec: z
      .number()
      .nonnegative()
      .max(...timerMax('seconds'))
      .default(30)
      .describe(
        'On Ctrl-C or SIGTERM, no transfer starts any more and those under way get this long to finish; then they are stopped and sent again at the next start (no attempt is counted).',
      ),
    watch: z
      .boolean()
      .default(true)
      .describe('Also react at once to new folders in outputs/ (no effect on NFS/SMB).'),
    unrouted: z
      .enum(['warn', 'fail'])
      .default(SYNC_DEFAULTS.unrouted)
      .describe(
        'An artifact no route matches: warn once and skip it, or record it as failed (shown by imk sync status).',
      ),
    conflict: z
      .enum(CONFLICT_POLICIES)
      .default(SYNC_DEFAULTS.conflict)
      .describe(
        'A destination path that already holds a different file (another job\'s, or one no receipt of this host wrote) is never overwritten silently: rename = deliver as "Title (2).m4a", "(3)"… (the final path is in the receipt); fail = a final error naming both jobs and the path; replace = overwrite (the old copy\'s receipt is marked replaced). The same content is never a conflict.',
      ),
    concurrency: z
      .number()
      .int()
      .positive()
      .default(SYNC_DEFAULTS.concurrency)
      .describe(
        'Transfers at once, over all backends (network copies wait on the network, not on the CPU); an rsync run carrying many files counts as one.',
      ),
    shareTimeoutSec: z
      .number()
      .min(SHARE_TIMEOUT_RANGE_SEC.min)
      .max(SHARE_TIMEOUT_RANGE_SEC.max)
      .default(SYNC_DEFAULTS.shareTimeoutSec)
      .describe(
        `Seconds a destination on this host (a mounted NFS/SMB/sshfs share) may go without answering before it counts as unreachable for the pass: the look at its folders (any backend writing here: local, rsync or rclone to a folder here), or an operation of the local backend, of rsync to a folder here or of rclone to a remote here, making no progress (a copy, the rsync run, an rclone call, a read-back, a rename), or an rclone remote not answering its first look. Its files are retried later while the other destinations are delivered. imk cleanup (its sweep of rsync leftovers) and imk doctor (its look at route folders) give such a folder up after as long, say so, and go on. Raise it for a share that pauses longer on purpose (disks spinning up); ${SHARE_TIMEOUT_RANGE_SEC.min} to ${SHARE_TIMEOUT_RANGE_SEC.max}.`,
      ),
    retry: RetryPolicySchema.default(RetryPolicySchema.parse({})).describe(
      'Retries of a failed transfer: tries within one pass, and the wait before a later pass tries it again.',
    ),
    remoteRoots: z
      .record(z.string().regex(/^[A-Za-z0-9_-]+$/), z.string())
      .default({})
      .describe(
        'Named roots for ${remoteRoots.X} in routes; the legacy ones are audio, video and stems. An empty one is not configured (a route using it is an error).',
      ),
    backends: z
      .record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and -'), BackendOptionsSchema)
      .default({})
      .describe(
        'Named destinations; a route without backend uses "local" (a plain local folder unless defined here).',
      ),
    mediaServers: z
      .record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and -'), MediaServerSchema)
      .default({})
      .describe(
        'Jellyfin, Plex or Navidrome/Subsonic servers that a route names in refresh: asked to pick up new files after a pass delivered some (docs/notifications.md).',
      ),
    routes: z
      .array(RouteSchema)
      .default([])
      .describe(
        'Where artifacts go. The first route that matches an artifact takes it (as in the earlier project); a route with continue: true lets later routes take it too (a second copy). One no route matches is unrouted.',
      ),
  })
  .superRefine((config, ctx) => {
    const { problems } = compileRoutes(config.routes, config.remoteRoots);
    for (const problem of problems)
      ctx.addIssue({ code: 'custom', path: ['routes', problem.index, 'to'], message: problem.message });
    config.routes.forEach((route, index) => {
      // A route with a mistake of its own reaches here as written (its transform did not run): no
      // backend: written means the default, not a backend named "undefined".
      const backend = (route.backend as string | undefined) ?? DEFAULT_BACKEND;
      if (backend !== DEFAULT_BACKEND && !(backend in config.backends))
        ctx.addIssue({
          code: 'custom',
          path: ['routes', index, 'backend'],
          message: `no backend named "${backend}" under backends (known: ${Object.keys(config.backends).join(', ') || 'none'})`,
        });
      route.refresh?.forEach((server, at) => {
        if (!(server in config.mediaServers))
          ctx.addIssue({
            code: 'custom',
            path: ['routes', index, 'refresh', at],
            message: `no media server named "${server}" under mediaServers (known: ${Object.keys(config.mediaServers).join(', ') || 'none'})`,
          });
      });
    });
  });

/**
 * The `nasSync` section of config/nas-sync.yaml. The earlier version's settings are said as what replaces
 * them (docs/migration.md), not as near-misses.
 */
export const NasSyncSchema = retiredKeys(NasSyncObjectSchema, {
  method:
    "the earlier version's method (rsync, s3, scp, local) is a backend now: define it under backends (type: rsync, s3, sftp for scp, or local) and name it in each route's backend (local needs none; see docs/migration.md)",
  overwrite:
    'the earlier version\'s overwrite is conflict now: conflict: replace overwrites a different file at the destination (overwrite: true), conflict: rename (the default) delivers as "Title (2).m4a" beside it and conflict: fail stops (see docs/migration.md)',
});
export type NasSyncConfig = z.output<typeof NasSyncSchema>;

/** config/nas-sync.yaml: everything lives under the top-level key `nasSync`. */
export const NasSyncFileSchema = z.strictObject({
  nasSync: NasSyncSchema.optional().describe(
    'Everything nas-sync reads; when the section is absent (or enabled is false) nothing is synced.',
  ),
});

export type LoadedNasSync =
  // `reason` says both for a log line; a check shows `problem` as its summary and `advice` as its fix, each once.
  | { state: 'not-configured'; file: string | undefined; reason: string; problem: string; advice: string }
  // Disabled still carries its config: a dry run sends nothing, so it may show what enabling it would do.
  | { state: 'disabled'; file: string | undefined; reason: string; config: NasSyncConfig }
  | { state: 'enabled'; file: string | undefined; config: NasSyncConfig };

/** Reads config/nas-sync.yaml (and IMK_NAS_SYNC__… env overrides) and says whether sync is on. */
export async function loadNasSyncConfig(
  root: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedNasSync> {
  const loaded = await loadServiceConfig({ service: SERVICE_NAME, schema: NasSyncFileSchema, root, env });
  const section = loaded.config.nasSync;
  if (!section) {
    // The full path: run from imk's own folder, "config/nas-sync.yaml" reads as the repository's config/,
    // not the root's, and the file written there is never read.
    const file = configFile(root, SERVICE_NAME);
    const problem = loaded.file
      ? `${loaded.file} has no nasSync section; nothing is synced`
      : `${file} does not exist; nothing is synced`;
    const advice = `write ${loaded.file ? 'a nasSync section' : 'it'} with nasSync.enabled: true and routes, starting from config/nas-sync.example.yaml beside it (a first imk up puts it there; see docs/nas-sync.md)`;
    return { state: 'not-configured', file: loaded.file, problem, advice, reason: `${problem}: ${advice}` };
  }
  if (!section.enabled)
    return {
      state: 'disabled',
      file: loaded.file,
      reason: `nas-sync is disabled (nasSync.enabled is false in ${loaded.file ?? configFile(root, SERVICE_NAME)}); nothing is synced`,
      config: section,
    };
  return { state: 'enabled', file: loaded.file, config: section };
}
