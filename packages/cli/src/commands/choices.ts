// The values commands offer as choices or name in their help, written here so that registering the
// commands loads no package: `imk --help` and `imk <cmd> --help` then start in a fraction of the time.
// Each is the same list as its package's (the one home of the value); choices.test.ts checks that they agree.

/** @imk/config QUEUE_NAMES */
export const QUEUE_NAMES = ['youtube_audio', 'youtube_video', 'other'] as const;
/** @imk/config DEFAULT_QUEUE */
export const DEFAULT_QUEUE = 'other';
/** @imk/web-service WebConfigSchema's host and port defaults (what `imk up` listens on when config/web.yaml sets none) */
export const WEB_DEFAULT_HOST = '127.0.0.1';
export const WEB_DEFAULT_PORT = 8080;
/** @imk/separation ENGINE_NAMES */
export const ENGINE_NAMES = ['builtin', 'demucs', 'mdx'] as const;
/** @imk/media (@imk/protocol) AUDIO_FORMATS */
export const AUDIO_FORMATS = ['m4a', 'mp3', 'flac', 'wav'] as const;
/** @imk/protocol STEM_NAMES (what `imk separate --stems` writes) */
export const STEM_NAMES = ['vocals', 'drums', 'bass', 'other'] as const;
/** @imk/retriever-sdk FETCH_MODES */
export const FETCH_MODES = ['audio', 'video', 'both'] as const;
/** @imk/deemix-retriever-service DEEZER_KINDS (the links `imk fetch` takes from Deezer) */
export const DEEZER_KINDS = ['track', 'album', 'playlist'] as const;
/** @imk/log LOG_FORMATS and LOG_FORMAT_ENV */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export const LOG_FORMAT_ENV = 'IMK_LOG_FORMAT';
/** @imk/ledger LEDGER_STATES */
export const LEDGER_STATES = [
  'ready',
  'claimed',
  'running',
  'retrying',
  'waiting',
  'released',
  'succeeded',
  'failed',
  'rejected',
  'cancelled',
] as const;
/** @imk/protocol JOB_PRIORITY (`imk enqueue --priority`'s range and default) */
export const JOB_PRIORITY = { min: -100, max: 100, default: 0 } as const;
/** @imk/ops HEALTHCHECK_MAX_AGE_SECONDS (`imk healthcheck --max-age`'s default, derived from the heartbeat's interval) */
export const HEALTHCHECK_MAX_AGE_SECONDS = 60;
/** @imk/config INSTRUMENTAL_MAKER (what `imk run` runs when no service is named) */
export const DEFAULT_RUN_SERVICE = 'instrumental-maker';
/** @imk/protocol SAMPLE_RATE_RANGE (`imk separate --sample-rate`'s range) */
export const SAMPLE_RATE_RANGE = { min: 8000, max: 192000 } as const;
/** @imk/protocol PITCH_LIMITS and TEMPO_LIMITS (`imk separate --variants`' key and tempo changes) */
export const PITCH_LIMITS = { min: -12, max: 12 } as const;
export const TEMPO_LIMITS = { min: 0.5, max: 2 } as const;
/** @imk/instrumental-maker-service config defaults (engine.name, output.format, variants): what `imk separate` makes unless told */
export const DEFAULT_ENGINE = 'builtin';
export const DEFAULT_FORMAT = 'm4a';
export const DEFAULT_VARIANTS = ['instrumental', 'no_drums', 'drums_only'] as const;
