import { orList } from '@imk/errors';
import { DEEMIX_RETRIEVER, NAS_SYNC, YOUTUBE_RETRIEVER } from '../service-names.ts';
import { legacyBool } from './env-file.ts';
import type { LegacyChange, LegacyEnv, LegacyKey } from './types.ts';

const YT = YOUTUBE_RETRIEVER;
const DZ = DEEMIX_RETRIEVER;
const one = (file: string, path: (string | number)[], value: unknown, comment: string): LegacyChange[] => [
  { file, path, value, comment },
];
/** A change whose value is a file or folder of this host (LegacyChange.hostPath). */
const onHost = (file: string, path: (string | number)[], value: string, comment: string): LegacyChange[] => [
  { file, path, value, comment, hostPath: true },
];
const number = (key: string, v: string, then: (n: number) => LegacyChange[]): LegacyChange[] | string => {
  const n = Number(v);
  return v !== '' && Number.isFinite(n) ? then(n) : `${key}="${v}" is not a number; nothing written`;
};
const logLevel = 'set IMK_LOG_LEVEL (one level for every service of one process)';

/**
 * The youtube retriever's defaultMode and audioFormat values (@imk/retriever-sdk FETCH_MODES, its config's
 * audioFormat), which this package cannot import: packages/cli/test/migrate-values.test.ts checks they are
 * the same lists.
 */
const MIGRATED_FETCH_MODES = ['audio', 'video', 'both'] as const;
const MIGRATED_FETCH_AUDIO_FORMATS = ['m4a', 'mp3', 'opus', 'flac', 'wav', 'best'] as const;
const isOneOf = (list: readonly string[], v: string): boolean => list.includes(v.toLowerCase());

/** Its retrievers (services/youtube_retriever, services/deemix_retriever), MinIO mirror, web page, Docker. */
export const SERVICE_KEYS: LegacyKey[] = [
  {
    key: 'YTDL_MODE',
    ours: `config/${YT}.yaml: defaultMode (${MIGRATED_FETCH_MODES.join(', ')})`,
    identical: true,
    convert: (v) =>
      isOneOf(MIGRATED_FETCH_MODES, v)
        ? one(YT, ['defaultMode'], v.toLowerCase(), `from YTDL_MODE=${v}`)
        : `YTDL_MODE=${v}: expected ${orList(MIGRATED_FETCH_MODES)}; nothing written`,
  },
  {
    key: 'YTDL_AUDIO_FORMAT',
    ours: `config/${YT}.yaml: audioFormat`,
    convert: (v) =>
      isOneOf(MIGRATED_FETCH_AUDIO_FORMATS, v)
        ? one(YT, ['audioFormat'], v.toLowerCase(), `from YTDL_AUDIO_FORMAT=${v}`)
        : `YTDL_AUDIO_FORMAT=${v}: not a format we fetch (${orList(MIGRATED_FETCH_AUDIO_FORMATS)}); nothing written`,
  },
  {
    key: 'YTDL_DURATION_TOL_SEC',
    ours: `config/${YT}.yaml: durationCheck.toleranceSec`,
    convert: (v) =>
      number('YTDL_DURATION_TOL_SEC', v, (n) =>
        one(YT, ['durationCheck', 'toleranceSec'], n, `from YTDL_DURATION_TOL_SEC=${v}`),
      ),
  },
  {
    key: 'YTDL_DURATION_TOL_PCT',
    ours: `config/${YT}.yaml: durationCheck.tolerancePercent (a percentage, not a fraction)`,
    convert: (v) =>
      number('YTDL_DURATION_TOL_PCT', v, (n) =>
        one(
          YT,
          ['durationCheck', 'tolerancePercent'],
          Math.round(n * 100 * 1000) / 1000,
          `from YTDL_DURATION_TOL_PCT=${v} (a fraction)`,
        ),
      ),
  },
  {
    key: 'YTDL_FAIL_ON_DURATION_MISMATCH',
    ours: `config/${YT}.yaml: durationCheck.onMismatch (fail or warn)`,
    convert: (v) =>
      one(
        YT,
        ['durationCheck', 'onMismatch'],
        legacyBool(v) ? 'fail' : 'warn',
        `from YTDL_FAIL_ON_DURATION_MISMATCH=${v}`,
      ),
  },
  {
    key: 'YTDL_COOKIES_FILE',
    ours: `config/${YT}.yaml: cookiesFile`,
    convert: (v) =>
      v ? onHost(YT, ['cookiesFile'], v, `from YTDL_COOKIES_FILE`) : 'YTDL_COOKIES_FILE: empty',
  },
  {
    key: 'YTDL_SOCKET_TIMEOUT',
    ours: `config/${YT}.yaml: socketTimeoutSec`,
    convert: (v) =>
      number('YTDL_SOCKET_TIMEOUT', v, (n) =>
        one(YT, ['socketTimeoutSec'], n, `from YTDL_SOCKET_TIMEOUT=${v}`),
      ),
  },
  {
    key: 'YTDL_QUIET',
    none: 'yt-dlp output goes to the log at debug level; IMK_LOG_LEVEL chooses what is shown',
  },
  { key: 'YTDL_NO_WARNINGS', none: 'yt-dlp warnings go to the log; IMK_LOG_LEVEL chooses what is shown' },
  {
    key: 'REQUESTS_DIR',
    ours: `config/${YT}.yaml: requestsDir`,
    convert: (v) => onHost(YT, ['requestsDir'], v, `from REQUESTS_DIR=${v}`),
  },
  {
    key: 'ARTIST_FALLBACK',
    ours: `config/${YT}.yaml: tags.artist (a literal "=text" last)`,
    convert: (v) =>
      one(YT, ['tags', 'artist'], ['channel', 'uploader', `=${v}`], `from ARTIST_FALLBACK=${v}`),
  },
  {
    key: 'ALBUM_FALLBACK',
    ours: `config/${YT}.yaml: tags.album`,
    convert: (v) => one(YT, ['tags', 'album'], [`=${v}`], `from ALBUM_FALLBACK=${v}`),
  },
  {
    key: 'WORKING_DIR',
    ours: `config/${YT}.yaml: workDir`,
    convert: (v) => onHost(YT, ['workDir'], v, `from WORKING_DIR=${v}`),
  },
  { key: 'LOG_LEVEL', none: logLevel },
  {
    key: 'DEEMIX_QUALITY',
    ours: `config/${DZ}.yaml: bitrate (FLAC, MP3_320, MP3_128 accepted as they are)`,
    identical: true,
    convert: (v) =>
      ['FLAC', 'MP3_320', 'MP3_128'].includes(v.toUpperCase())
        ? one(DZ, ['bitrate'], v.toUpperCase(), `from DEEMIX_QUALITY=${v}`)
        : `DEEMIX_QUALITY=${v}: expected FLAC, MP3_320 or MP3_128; nothing written`,
  },
  {
    key: 'DEEMIX_CONFIG_DIR',
    ours: `config/${DZ}.yaml: configHome (its .arl file is read from there)`,
    convert: (v) => one(DZ, ['configHome'], v, `from DEEMIX_CONFIG_DIR=${v}`),
  },
  {
    key: 'DEEMIX_WORKING_DIR',
    ours: `config/${DZ}.yaml: workDir`,
    convert: (v) => onHost(DZ, ['workDir'], v, `from DEEMIX_WORKING_DIR=${v}`),
  },
  {
    key: 'DEEMIX_DOWNLOAD_TIMEOUT',
    ours: `config/${DZ}.yaml: timeoutMs`,
    convert: (v) =>
      number('DEEMIX_DOWNLOAD_TIMEOUT', v, (n) =>
        one(DZ, ['timeoutMs'], n * 1000, `from DEEMIX_DOWNLOAD_TIMEOUT=${v} (seconds)`),
      ),
  },
  { key: 'DEEMIX_CACHE_DIR', none: 'deemix keeps its cache under configHome' },
  {
    key: 'WATCH_INTERVAL',
    ours: `config/${DZ}.yaml: pollIntervalMs`,
    convert: (v) =>
      number('WATCH_INTERVAL', v, (n) =>
        one(DZ, ['pollIntervalMs'], n * 1000, `from WATCH_INTERVAL=${v} (seconds)`),
      ),
  },
  { key: 'MAX_CONCURRENT_DEEMIX', none: 'requests are fetched one at a time per retriever' },
  {
    key: 'SKIP_ON_ERROR',
    none: 'a failed request is renamed .fail with the reason beside it; the next one goes on',
  },
  { key: 'MAX_RETRIES', none: 'retries of a failed request are not configurable for deemix' },
  { key: 'ENRICH_METADATA', none: 'tags come from what deemix wrote into the files' },
  { key: 'MUSICBRAINZ_ENABLED', none: 'no MusicBrainz lookups' },
  { key: 'MUSICBRAINZ_TIMEOUT', none: 'no MusicBrainz lookups' },
  {
    key: 'MINIO_MIRROR_ENABLED',
    ours: 'config/nas-sync.yaml: an s3 backend named minio (add a route with backend: minio)',
    convert: (v, env) => {
      if (!legacyBool(v)) return 'MINIO_MIRROR_ENABLED is false: nothing to mirror';
      if (!env.MINIO_BUCKET) return 'MINIO_MIRROR_ENABLED: MINIO_BUCKET is not set; nothing written';
      // Its Config: env_bool("MINIO_USE_SSL", "true"): https unless set to something false (empty included).
      const scheme = env.MINIO_USE_SSL === undefined || legacyBool(env.MINIO_USE_SSL) ? 'https' : 'http';
      const backend: Record<string, unknown> = {
        type: 's3',
        bucket: env.MINIO_BUCKET,
        prefix: env.MINIO_PREFIX ?? '',
        region: env.MINIO_REGION || 'us-east-1',
        forcePathStyle: true,
        // Secrets stay in the environment: the file names the variables, never the values.
        accessKeyId: { env: 'MINIO_ACCESS_KEY' },
        secretAccessKey: { env: 'MINIO_SECRET_KEY' },
      };
      if (env.MINIO_ENDPOINT) backend.endpoint = `${scheme}://${env.MINIO_ENDPOINT}`;
      return one(
        NAS_SYNC,
        ['nasSync', 'backends', 'minio'],
        backend,
        'from MINIO_* (keys read from the MINIO_ACCESS_KEY / MINIO_SECRET_KEY variables)',
      );
    },
  },
  ...['MINIO_ENDPOINT', 'MINIO_USE_SSL', 'MINIO_BUCKET', 'MINIO_PREFIX', 'MINIO_REGION'].map(
    (key): LegacyKey => ({
      key,
      ours: 'config/nas-sync.yaml: backends.minio (written with MINIO_MIRROR_ENABLED=true)',
    }),
  ),
  ...['MINIO_ACCESS_KEY', 'MINIO_SECRET_KEY'].map((key): LegacyKey => {
    const ours = `config/nas-sync.yaml: backends.minio (written with MINIO_MIRROR_ENABLED=true) reads it from the environment ({ env: ${key} }); never written to a file`;
    return {
      key,
      secret: true,
      ours,
      // Said as covered only when the minio backend that names it is written: the report said so whatever
      // MINIO_MIRROR_ENABLED was, for a nas-sync.yaml with no minio backend in it.
      convert: (_value, env) =>
        minioBackendWritten(env)
          ? `covered by ${ours}`
          : `${key}: not used; no minio backend is written (MINIO_MIRROR_ENABLED is not true, or MINIO_BUCKET is not set)`,
    };
  }),
  {
    key: 'MINIO_CONTENT_TYPE_BY_EXT',
    none: 'the s3 backend always sets the content type from the extension',
  },
  {
    key: 'MINIO_SCAN_INTERVAL_SEC',
    ours: 'config/nas-sync.yaml: pollIntervalSec (one interval for all backends)',
  },
  {
    key: 'FLASK_SECRET_KEY',
    secret: true,
    none: 'the dashboard asks for a token instead (config/web.yaml web.token / tokenFile, or IMK_WEB__TOKEN)',
  },
  { key: 'DOCKER_IMAGE', none: 'docker-compose.yml of this project names its own image' },
  { key: 'DOCKERHUB_USERNAME', none: 'docker-compose.yml of this project names its own image' },
];

/** Whether MINIO_MIRROR_ENABLED's conversion writes the minio backend (the same two conditions). */
function minioBackendWritten(env: LegacyEnv): boolean {
  return env.MINIO_MIRROR_ENABLED !== undefined && legacyBool(env.MINIO_MIRROR_ENABLED) && !!env.MINIO_BUCKET;
}
