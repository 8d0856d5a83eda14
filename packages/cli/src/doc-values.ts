import { QUEUE_NAMES } from '@imk/config';
import { DEFAULT_LEASE_MS, DEFAULT_POLL_MS, DEFAULT_TMP_MAX_AGE_MS, JOB_STATES } from '@imk/fsqueue';
import { LEDGER_DEFAULTS, LEDGER_STATES } from '@imk/ledger';
import { COVER_MAX_BYTES } from '@imk/media';
import {
  DIGEST_AFTER,
  MEDIA_REFRESH_MIN_INTERVAL_SEC,
  NOTIFY_CONFIG_CHECK_MS,
  REFRESH_DEFAULTS,
  STALE_CLAIM_MS,
} from '@imk/notify';
import { HEALTHCHECK_MAX_AGE_SECONDS, HEARTBEAT_INTERVAL_MS } from '@imk/ops';
import {
  ARTIFACT_KINDS,
  AUDIO_FORMATS,
  JOB_PRIORITY,
  PITCH_LIMITS,
  REPLACE_WAIT_MS,
  SAMPLE_RATE_RANGE,
  STEM_LEVEL_RANGE,
  STEM_NAMES,
  TEMPO_LIMITS,
} from '@imk/protocol';
import { ENGINE_NAMES } from '@imk/separation/engine-names';
import { STEM_LENGTH_SLACK_SEC } from '@imk/separation/stem-lengths';
import { SHARE_TIMEOUT_RANGE_SEC, SYNC_DEFAULTS } from '@imk/sync';
import { API_DEFAULTS } from '@imk/youtube-retriever-service';
import { DEEZER_KINDS } from '@imk/deemix-retriever-service';
import { andList, orList } from '@imk/errors';
import { CANCEL_WAIT_SECONDS } from './commands/cancel.ts';

/** A list as prose names it in code spans: `` `a`, `b` and `c` ``. */
const codeList = (items: readonly string[]): string => andList(items.map((i) => `\`${i}\``));

/**
 * The defaults that the docs' prose states, each taken from its home: `npm run schemas` writes them into
 * every `<!-- value:NAME -->…<!-- /value:NAME -->` of docs/*.md (replaceDocValues), and a test fails when a
 * page is behind. A value typed by hand into the prose stays behind the day its constant changes.
 */
export const DOC_VALUES: Readonly<Record<string, string>> = {
  /** fsqueue's DEFAULT_LEASE_MS, the worker's leaseMs default (docs/protocol.md, docs/operations.md). */
  'lease-seconds': String(DEFAULT_LEASE_MS / 1000),
  /** How long a `job_<id>.tmp/` folder may stay unchanged before fsqueue's sweep removes it, in hours (docs/protocol.md). */
  'tmp-sweep-hours': String(DEFAULT_TMP_MAX_AGE_MS / 3_600_000),
  /** fsqueue's DEFAULT_POLL_MS, the worker's pollMs default (docs/operations.md). */
  'queue-poll-seconds': String(DEFAULT_POLL_MS / 1000),
  /** How often a running service writes its heartbeat (docs/operations.md). */
  'heartbeat-seconds': String(HEARTBEAT_INTERVAL_MS / 1000),
  /** `imk healthcheck --max-age`'s default (docs/operations.md). */
  'healthcheck-max-age': String(HEALTHCHECK_MAX_AGE_SECONDS),
  /** When an event a dead process left claimed in the notification outbox is taken up again (docs/notifications.md). */
  'notify-stale-claim-minutes': String(STALE_CLAIM_MS / 60_000),
  /** How many messages a person's notification target gets a minute before the rest are summarised (docs/notifications.md). */
  'notify-digest-after': String(DIGEST_AFTER),
  /** How often a running process looks at config/notify.yaml for an edit (docs/notifications.md). */
  'notify-config-check-seconds': String(NOTIFY_CONFIG_CHECK_MS / 1000),
  /** The ledger's SQLite busy timeout (docs/instrumental-maker.md). */
  'ledger-busy-timeout-seconds': String(LEDGER_DEFAULTS.busyTimeoutMs / 1000),
  /** How often at most a job's progress is written to the ledger (docs/instrumental-maker.md). */
  'ledger-progress-interval-ms': String(LEDGER_DEFAULTS.progressIntervalMs),
  /** `imk cancel --wait`'s default (docs/instrumental-maker.md). */
  'cancel-wait-seconds': String(CANCEL_WAIT_SECONDS),
  /** Tries of a media server refresh, and the waits between them, doubled each time (docs/notifications.md). */
  'media-refresh-attempts': String(REFRESH_DEFAULTS.attempts),
  'media-refresh-waits': Array.from(
    { length: REFRESH_DEFAULTS.attempts - 1 },
    (_, i) => `${(REFRESH_DEFAULTS.firstDelayMs * 2 ** i) / 1000} s`,
  ).join(', then '),
  /** The least time between two refreshes of one media server by the running nas-sync (docs/notifications.md). */
  'media-refresh-min-interval-seconds': String(MEDIA_REFRESH_MIN_INTERVAL_SEC),
  /** When the running nas-sync says a media server's unanswered refresh is slow (docs/notifications.md). */
  'media-refresh-slow-seconds': String(REFRESH_DEFAULTS.slowAfterMs / 1000),
  /** The largest cover read, in MiB (media's COVER_MAX_BYTES; docs/protocol.md, docs/instrumental-maker.md). */
  'cover-max-mib': String(COVER_MAX_BYTES / (1024 * 1024)),
  /** nas-sync's shareTimeoutSec default (docs/nas-sync.md). */
  'share-timeout-seconds': String(SYNC_DEFAULTS.shareTimeoutSec),
  /** Where the retrievers' HTTP API listens unless `http` says otherwise (docs/retrievers.md). */
  'retriever-http-address': `${API_DEFAULTS.host}:${API_DEFAULTS.port}`,
  /** nas-sync's shareTimeoutSec range (docs/nas-sync.md). */
  'share-timeout-range': `${SHARE_TIMEOUT_RANGE_SEC.min} to ${SHARE_TIMEOUT_RANGE_SEC.max}`,
  /** job.json's options.priority: its range, as prose and as the message of a value outside it, and its default (docs/protocol.md). */
  'priority-range': `${JOB_PRIORITY.min}…${JOB_PRIORITY.max}`,
  'priority-between': `${JOB_PRIORITY.min} and ${JOB_PRIORITY.max}`,
  'priority-default': String(JOB_PRIORITY.default),
  /** A key change's range in semitones, as the messages write it, and as `@` items (docs/instrumental-maker.md, docs/web.md). */
  'pitch-range': `${PITCH_LIMITS.min}…+${PITCH_LIMITS.max}`,
  'pitch-range-at': `@${PITCH_LIMITS.min} … @+${PITCH_LIMITS.max}`,
  /** A tempo change's range, and as the messages write it with its x (docs/instrumental-maker.md, docs/web.md). */
  'tempo-range': `${TEMPO_LIMITS.min}…${TEMPO_LIMITS.max.toFixed(1)}`,
  'tempo-range-x': `${TEMPO_LIMITS.min}x…${TEMPO_LIMITS.max.toFixed(1)}x`,
  /** The sample rates flac and wav are written at (docs/instrumental-maker.md). */
  'sample-rate-range': `${SAMPLE_RATE_RANGE.min} to ${SAMPLE_RATE_RANGE.max}`,
  /** A stem's level in a mix (docs/web.md). */
  'stem-level-range': `${STEM_LEVEL_RANGE.min}…${STEM_LEVEL_RANGE.max}`,
  /** How long a reader of one job waits for its folder while a worker replaces it (docs/protocol.md). */
  'replace-wait-seconds': String(REPLACE_WAIT_MS / 1000),
  /** The lists prose names (lists-once.test.ts finds one spelled by hand): the stems an engine makes (docs/separation.md). */
  'stem-names': STEM_NAMES.join(', '),
  /** How far apart the files of one song may be in length and still be cut to the shortest (docs/separation.md, docs/migration.md). */
  'stem-length-slack-seconds': String(STEM_LENGTH_SLACK_SEC),
  /** The formats the variant files are written in (docs/migration.md). */
  'audio-formats': AUDIO_FORMATS.join(', '),
  /** The standard queues (docs/protocol.md). */
  'queue-names': codeList(QUEUE_NAMES),
  /** The engines `createEngine` makes (docs/separation.md). */
  'engine-names': codeList(ENGINE_NAMES),
  /** What an artifact of manifest.json is (docs/migration.md, docs/nas-sync.md). */
  'artifact-kinds': ARTIFACT_KINDS.map((k) => `\`${k}\``).join(', '),
  /** The states of a job in the ledger (docs/operations.md). */
  'ledger-states': LEDGER_STATES.join(', '),
  /** The folder states of a job in a queue (docs/operations.md). */
  'job-states': JOB_STATES.join(', '),
  /** The Deezer links the deemix retriever takes (docs/retrievers.md). */
  'deezer-kinds-and': andList(DEEZER_KINDS),
  'deezer-kinds-or': orList(DEEZER_KINDS),
};
