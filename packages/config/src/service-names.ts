/**
 * The names of the services that a library has to name, defined once here (a library imports no service,
 * STYLE 14) and taken from here by the service's own definition: the YouTube retriever's state folder,
 * `state/youtube-retriever/`, holds the subscriptions that @imk/retriever-sdk reads and the dashboard edits.
 */
export const YOUTUBE_RETRIEVER = 'youtube-retriever';
/** The Deezer retriever: `config/deemix-retriever.yaml`, which the legacy migration writes (ARL, bitrate). */
export const DEEMIX_RETRIEVER = 'deemix-retriever';
/** The worker that separates stems: `config/instrumental-maker.yaml`, which the legacy migration writes (MODEL, STEMS, …). */
export const INSTRUMENTAL_MAKER = 'instrumental-maker';
/** The drop folder watcher: `config/inbox.yaml`, which the legacy migration writes (INCOMING, AUDIO_EXTS). */
export const INBOX = 'inbox';
/** The sync service: `config/nas-sync.yaml`, which the legacy migration writes (NAS_*, MINIO_*); the CLI's `imk sync` logs as it. */
export const NAS_SYNC = 'nas-sync';
/** The dashboard: `config/web.yaml`, which `imk up`, `imk healthcheck web` and the supervisor read. */
export const WEB = 'web';
