import { INBOX, YOUTUBE_RETRIEVER } from '../service-names.ts';
import type { LegacyKey } from './types.ts';

// Variables the earlier version read outside app/config.py and its services' config.py: its web page
// (app/webui, which docker compose gave the whole .env), its sync-scripts/sync-to-nas.sh, and the
// `environment:` of its compose files. Its users have them in their .env: `imk migrate` names each with
// what replaces it, never as "not a setting of the earlier version".

const scriptSync =
  'its sync-scripts/sync-to-nas.sh copied the flat library (OUTPUT) over scp; here nas-sync sends outputs/ by routes: for the same NAS, an sftp backend in config/nas-sync.yaml (host, port, username, privateKeyFile) and a route with to: its NAS_PATH (docs/nas-sync.md)';
const syncRuns =
  'nas-sync sends each finished job as its manifest appears (pollIntervalSec in config/nas-sync.yaml) while imk up or imk run nas-sync runs; imk sync --once is one pass, for cron or by hand';
const deemixImage =
  'a setting of the deemix web container its compose file ran beside; deemix runs here as a command, as the user imk runs as';
const modelCache =
  'where demucs (torch) keeps its models: set it in the environment imk runs demucs in, as before';

/** Its web page, its sync-to-nas.sh script and its compose files' `environment:`. */
export const EXTRA_KEYS: LegacyKey[] = [
  ...['NAS_HOST', 'NAS_PORT', 'NAS_USER', 'NAS_PATH', 'LOCAL_PATH', 'SSH_KEY'].map((key): LegacyKey => ({
    key,
    none: scriptSync,
  })),
  { key: 'SYNC_MODE', none: syncRuns },
  { key: 'SYNC_INTERVAL', none: syncRuns },
  { key: 'SYNC_TRIGGER_FILE', none: `touching a file to start a sync: run imk sync --once; ${syncRuns}` },
  {
    key: 'DELETE_AFTER_SYNC',
    none: 'nas-sync never deletes what it sent, and imk cleanup never removes a finished job from outputs/: remove a job folder by hand once imk sync status says it is delivered',
  },
  ...['SYNC_LOG', 'NAS_SYNC_LOG'].map((key): LegacyKey => ({
    key,
    none: 'services log JSON lines to stdout; imk sync status (and the dashboard) show what was sent where',
  })),
  {
    key: 'INCOMING_DIR',
    ours: `config/${INBOX}.yaml: dir (its web page's name for INCOMING, converted from INCOMING)`,
  },
  ...['YTDLP_COOKIES_FILE', 'YTDLP_CONFIG_DIR'].map((key): LegacyKey => ({
    key,
    ours: `config/${YOUTUBE_RETRIEVER}.yaml: cookiesFile (where its web page saved uploaded cookies; converted from YTDL_COOKIES_FILE)`,
  })),
  {
    key: 'YTDLP_POT_PROVIDER_URL',
    none: 'no PO token provider is called; yt-dlp here reads a cookies file (config/youtube-retriever.yaml: cookiesFile)',
  },
  ...['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET'].map((key): LegacyKey => ({
    key,
    secret: true,
    none: 'its web page signed in to YouTube with OAuth; yt-dlp here reads a cookies file (config/youtube-retriever.yaml: cookiesFile)',
  })),
  { key: 'FLASK_ENV', none: 'the dashboard is not a Flask app (config/web.yaml)' },
  ...['PUID', 'PGID', 'UMASK_SET', 'DEEMIX_SINGLE_USER'].map((key): LegacyKey => ({
    key,
    none: deemixImage,
  })),
  ...['DEMUCS_CACHE', 'TORCH_HOME', 'XDG_CACHE_HOME'].map((key): LegacyKey => ({ key, none: modelCache })),
];

/**
 * Names of {@link EXTRA_KEYS} that many other programs set too: finding one in an environment says nothing
 * about the earlier version, so start-up does not warn of it (`imk migrate` still names it from its .env).
 */
export const EXTRA_GENERIC_KEYS: readonly string[] = [
  'NAS_HOST',
  'NAS_PORT',
  'NAS_USER',
  'NAS_PATH',
  'LOCAL_PATH',
  'SSH_KEY',
  'SYNC_MODE',
  'SYNC_INTERVAL',
  'SYNC_LOG',
  'FLASK_ENV',
  'PUID',
  'PGID',
  'UMASK_SET',
  'TORCH_HOME',
  'XDG_CACHE_HOME',
  'GOOGLE_CLIENT_ID',
  'GOOGLE_CLIENT_SECRET',
];
