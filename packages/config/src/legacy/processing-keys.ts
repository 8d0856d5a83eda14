import { orList } from '@imk/errors';
import { INBOX, INSTRUMENTAL_MAKER } from '../service-names.ts';
import { legacyBool } from './env-file.ts';
import type { LegacyChange, LegacyKey } from './types.ts';

/** The worker's config file name (config/instrumental-maker.yaml), as the legacy keys name it. */
export const IM = INSTRUMENTAL_MAKER;
const at = (file: string, path: (string | number)[], value: unknown, comment: string): LegacyChange => ({
  file,
  path,
  value,
  comment,
});
const num = (key: string, value: string): number | string => {
  const n = Number(value);
  return value !== '' && Number.isFinite(n) ? n : `${key}="${value}" is not a number; nothing written`;
};
const STEM_LETTERS: Record<string, string> = { V: 'vocals', D: 'drums', B: 'bass', O: 'other' };
/**
 * The earlier version's OUTPUT_FORMAT / CODEC values, as the worker's output.format (@imk/protocol
 * AUDIO_FORMATS, which this package cannot import: packages/cli/test/migrate-values.test.ts checks them).
 */
const MIGRATED_OUTPUT_FORMATS: Readonly<Record<string, string>> = {
  m4a: 'm4a',
  mp3: 'mp3',
  flac: 'flac',
  wav: 'wav',
  aac: 'm4a',
};

const noChunks =
  'our engines stream the whole song in bounded memory: there are no chunks, no seams and no crossfades to set';
const noArchive =
  'failed and rejected bundles stay in their queue (queues/<q>/failed/, rejected/) with the reason beside them';

function format(key: string, value: string): LegacyChange[] | string {
  const ours = MIGRATED_OUTPUT_FORMATS[value.toLowerCase()];
  if (ours === undefined)
    return `${key}=${value}: we encode ${orList([...new Set(Object.values(MIGRATED_OUTPUT_FORMATS))])}; nothing written (the default m4a stays)`;
  return [at(IM, ['output', 'format'], ours, `from ${key}=${value}`)];
}

/** Processing, paths and housekeeping variables of the earlier version (its app/config.py, .env.example). */
export const PROCESSING_KEYS: LegacyKey[] = [
  {
    key: 'MODEL',
    ours: `config/${IM}.yaml: engine.name demucs, engine.params.model`,
    convert: (value) => [
      at(IM, ['engine', 'name'], 'demucs', `from MODEL=${value}: a demucs model`),
      at(
        IM,
        ['engine', 'params', 'model'],
        value,
        'without demucs installed, builtin is used (engine.fallback)',
      ),
    ],
  },
  {
    key: 'STEMS',
    ours: `config/${IM}.yaml: recipes.instrumental.stems (the stems summed into the instrumental)`,
    convert: (value) => {
      const letters = value.split(/[\s,]+/).filter(Boolean);
      const stems = letters.map((l) => STEM_LETTERS[l.toUpperCase()]);
      if (stems.length === 0 || stems.some((s) => s === undefined))
        return `STEMS=${value}: expected letters V, D, B, O; nothing written`;
      return [at(IM, ['recipes', 'instrumental'], { stems, label: 'Instrumental' }, `from STEMS=${value}`)];
    },
  },
  {
    key: 'SAMPLE_RATE',
    ours: `config/${IM}.yaml: output.sampleRate`,
    convert: (v) => {
      const n = num('SAMPLE_RATE', v);
      return typeof n === 'string' ? n : [at(IM, ['output', 'sampleRate'], n, `from SAMPLE_RATE=${v}`)];
    },
  },
  {
    key: 'BIT_DEPTH',
    ours: `config/${IM}.yaml: output.bitDepth (flac and wav only)`,
    convert: (v) =>
      ['16', '24', '32'].includes(v)
        ? [at(IM, ['output', 'bitDepth'], Number(v), `from BIT_DEPTH=${v} (used by flac and wav)`)]
        : `BIT_DEPTH=${v}: expected 16, 24 or 32; nothing written`,
  },
  {
    key: 'OUTPUT_FORMAT',
    ours: `config/${IM}.yaml: output.format`,
    convert: (v) => format('OUTPUT_FORMAT', v),
  },
  {
    key: 'CODEC',
    ours: `config/${IM}.yaml: output.format (OUTPUT_FORMAT wins, as before)`,
    convert: (v, env) =>
      env.OUTPUT_FORMAT ? 'CODEC: OUTPUT_FORMAT is set and wins, as it did' : format('CODEC', v),
  },
  {
    key: 'MP3_ENCODING',
    ours: `config/${IM}.yaml: output.bitrate`,
    convert: (v) =>
      v.toLowerCase() === 'cbr320'
        ? [at(IM, ['output', 'bitrate'], '320k', `from MP3_ENCODING=${v}`)]
        : `MP3_ENCODING=${v}: we encode mp3 at a constant bitrate (output.bitrate, 320k for mp3 by default); VBR v0 has no equivalent`,
  },
  {
    key: 'TARGET_LUFS',
    ours: `config/${IM}.yaml: loudness.targetLufs (and loudness.enabled: true)`,
    convert: (v) => {
      const n = num('TARGET_LUFS', v);
      if (typeof n === 'string') return n;
      return [
        at(IM, ['loudness', 'enabled'], true, 'the earlier version normalised every output'),
        at(IM, ['loudness', 'targetLufs'], n, `from TARGET_LUFS=${v}`),
      ];
    },
  },
  {
    key: 'TRUE_PEAK_DBFS',
    ours: `config/${IM}.yaml: loudness.truePeak`,
    convert: (v) => {
      const n = num('TRUE_PEAK_DBFS', v);
      return typeof n === 'string' ? n : [at(IM, ['loudness', 'truePeak'], n, `from TRUE_PEAK_DBFS=${v}`)];
    },
  },
  {
    key: 'DUAL_PASS_LOUDNORM',
    ours: `config/${IM}.yaml: loudness.twoPass`,
    convert: (v) => [at(IM, ['loudness', 'twoPass'], legacyBool(v), `from DUAL_PASS_LOUDNORM=${v}`)],
  },
  {
    key: 'DEMUCS_DEVICE',
    ours: `config/${IM}.yaml: engine.params.device (demucs)`,
    convert: (v, env) =>
      env.MODEL
        ? [at(IM, ['engine', 'params', 'device'], v.toLowerCase(), `from DEMUCS_DEVICE=${v}`)]
        : 'DEMUCS_DEVICE: only used with demucs (MODEL not set); nothing written',
  },
  {
    key: 'DEMUCS_JOBS',
    none: 'demucs runs once per song here, not once per chunk; use concurrency for jobs at once',
  },
  { key: 'DEMUCS_CHUNK_TIMEOUT_SEC', none: noChunks },
  {
    key: 'DEMUCS_MAX_RETRIES',
    none: 'retries are per job, not per chunk: retry.maxAttempts in config/instrumental-maker.yaml (its default: docs/configuration.md)',
  },
  { key: 'CHUNKING_ENABLED', none: noChunks },
  { key: 'CHUNK_MAX', none: noChunks },
  { key: 'CHUNK_OVERLAP_SEC', none: noChunks },
  { key: 'CROSSFADE_MS', none: noChunks },
  {
    key: 'RETRY_BACKOFF_SEC',
    ours: `config/${IM}.yaml: retry.backoffMs (milliseconds, doubling per attempt)`,
    convert: (v) => {
      const n = num('RETRY_BACKOFF_SEC', v);
      return typeof n === 'string'
        ? n
        : [at(IM, ['retry', 'backoffMs'], Math.round(n * 1000), `from RETRY_BACKOFF_SEC=${v}`)];
    },
  },
  {
    key: 'INCOMING',
    ours: 'config/inbox.yaml: dir (the folder files are dropped into)',
    convert: (v) => [{ ...at(INBOX, ['dir'], v, `from INCOMING=${v}: the drop folder`), hostPath: true }],
  },
  {
    key: 'WORKING',
    ours: `config/${IM}.yaml: workDir`,
    convert: (v) => [{ ...at(IM, ['workDir'], v, `from WORKING=${v}: scratch space`), hostPath: true }],
  },
  {
    key: 'OUTPUT',
    none: 'the earlier watcher wrote a flat library; outputs go to outputs/<job_id>/ (config/paths.yaml: outputs), and a nas-sync route with a local path makes a library of them',
  },
  {
    key: 'MUSIC_LIBRARY',
    none: 'the Artist/Album/Title library is made by nas-sync routes (e.g. to: "/library/{artist}/{album}/{title}.{ext}")',
  },
  {
    key: 'DB_PATH',
    none: 'the job ledger lives in state/ledger.sqlite and is rebuilt from the folders (imk ledger rebuild)',
  },
  { key: 'LOG_DIR', none: 'services log JSON lines to stdout; the container runtime keeps them' },
  { key: 'ARCHIVE_DIR', none: noArchive },
  { key: 'QUARANTINE_DIR', none: noArchive },
  { key: 'CORRUPT_DEST', none: noArchive },
  {
    key: 'STAGING',
    none: 'bundles are claimed in place (renamed inside their queue folder); there is no staging folder',
  },
  { key: 'MOVE_TO_STAGING_ENABLED', none: 'bundles are claimed in place; there is no staging folder' },
  {
    key: 'STABILITY_CHECK_SECONDS',
    ours: 'config/inbox.yaml: pollIntervalMs',
    convert: (v) => {
      const n = num('STABILITY_CHECK_SECONDS', v);
      return typeof n === 'string'
        ? n
        : [
            at(
              INBOX,
              ['pollIntervalMs'],
              Math.max(50, Math.round(n * 1000)),
              `from STABILITY_CHECK_SECONDS=${v}`,
            ),
          ];
    },
  },
  {
    key: 'STABILITY_PASSES',
    ours: 'config/inbox.yaml: stableChecks',
    convert: (v) => {
      const n = num('STABILITY_PASSES', v);
      return typeof n === 'string'
        ? n
        : [at(INBOX, ['stableChecks'], Math.max(1, n), `from STABILITY_PASSES=${v}`)];
    },
  },
  { key: 'FAST_FS_STABILITY', none: 'a test shortcut; config/inbox.yaml stableChecks: 1 does the same' },
  {
    key: 'MIN_INPUT_BYTES',
    none: 'a file too small to decode fails with MEDIA_EMPTY / MEDIA_UNREADABLE, kept with its reason',
  },
  {
    key: 'ALBUMS_ENABLED',
    none: 'the inbox takes files; a folder in it is not read (said once in the log, listed by imk doctor): move its songs into the inbox, one job each (or a Deezer album link)',
  },
  {
    key: 'AUDIO_EXTS',
    ours: 'config/inbox.yaml: extensions (without the dot)',
    convert: (v) => {
      const exts = v
        .split(',')
        .map((e) => e.trim().replace(/^\./, '').toLowerCase())
        .filter(Boolean);
      return [at(INBOX, ['extensions'], exts, `from AUDIO_EXTS=${v}`)];
    },
  },
  {
    key: 'STRUCTURED_OUTPUT_SINGLES',
    none: 'folder structure on the NAS is set by nas-sync routes ({artist}/{album}/…)',
  },
  { key: 'SIDECAR_ENABLED', none: 'per-song sidecars (including <audio>.stems.yml) are always read' },
  {
    key: 'SIDECAR_SCHEMA_VALIDATE',
    none: 'sidecars are always validated; an invalid one fails its job with the file and field named',
  },
  {
    key: 'DEDUPE_BY_FILENAME',
    none: 'duplicates are found by content (input sha256 + options): config/instrumental-maker.yaml duplicates: skip | process',
  },
  {
    key: 'DEDUPE_INCLUDE_ERRORS',
    none: 'only succeeded jobs count as duplicates; imk retry <id> runs a failed job again',
  },
  { key: 'DEDUPE_RENAME_SECOND', none: 'duplicates are linked to the earlier outputs, never renamed' },
  {
    key: 'DEDUPE_CLEANUP_METHOD',
    none: 'nothing is deleted or archived away; imk cleanup prunes old archives by age',
  },
  {
    key: 'RESCAN_INTERVAL_SEC',
    none: 'queues are listed every pollMs (the listing is the truth; a watcher only hints)',
  },
  {
    key: 'MAX_PARALLEL_JOBS',
    ours: `config/${IM}.yaml: concurrency`,
    convert: (v) => {
      const n = num('MAX_PARALLEL_JOBS', v);
      return typeof n === 'string'
        ? n
        : [at(IM, ['concurrency'], Math.max(1, n), `from MAX_PARALLEL_JOBS=${v}`)];
    },
  },
  { key: 'CPU_MAX_THREADS', none: 'limit the container (docker --cpus) or lower concurrency' },
  {
    key: 'FFMPEG_THREADS',
    none: 'ffmpeg processes per job follow the cores; lower concurrency to use fewer',
  },
  { key: 'CPU_AFFINITY', none: 'use the container runtime (docker --cpuset-cpus) or taskset' },
  { key: 'CPU_NICE', none: 'start imk under nice; the services do not change their own priority' },
  {
    key: 'QUEUE_ENABLED',
    none: 'the worker always takes bundles from the queue folders (the incoming-folder watcher is the inbox service)',
  },
];
