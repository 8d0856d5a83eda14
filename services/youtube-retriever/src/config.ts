import { z } from 'zod';
import { YOUTUBE_RETRIEVER, localPathSchema, timerMax } from '@imk/config';
import { orList } from '@imk/errors';
import { MaxDurationSecSchema } from '@imk/media/duration-limit';
import {
  FETCH_MODES,
  RETRY_DEFAULTS,
  SubscriptionListSchema,
  everySchema,
  loadRetrieverSettings,
  requestFolderFields,
} from '@imk/retriever-sdk/config-schema';

/** config/youtube-retriever.yaml, state/youtube-retriever/, imk run youtube-retriever: @imk/config's one spelling. */
/** Where request files are read when requestsDir is unset (relative to the root); the config reference says so. */
export const DEFAULT_REQUESTS_DIR = 'requests/youtube';

export const SERVICE_NAME = YOUTUBE_RETRIEVER;

/** stallTimeoutSec's default: five minutes with no output and nothing downloaded ends a yt-dlp run. */
export const DEFAULT_STALL_TIMEOUT_SEC = 300;

/** Where the retrievers' own HTTP API listens unless `http` says otherwise (and `startRetrieverHttp` too). */
export const API_DEFAULTS = { host: '127.0.0.1', port: 8790 } as const;

/** A tag comes from the first of these yt-dlp fields that has a value; `=text` is literal text. */
const TagSourcesSchema = z.array(z.string().min(1)).min(1);

export const YoutubeConfigSchema = z.object({
  ytDlpPath: localPathSchema()
    .optional()
    .describe('The yt-dlp program to run; unset = $IMK_YT_DLP, else yt-dlp on PATH. It is never downloaded.'),
  ...requestFolderFields('.txt', DEFAULT_REQUESTS_DIR),
  defaultMode: z
    .enum(FETCH_MODES)
    .default('audio')
    .describe(`What to fetch when a request does not say: ${orList(FETCH_MODES)} (one job of each).`),
  audioFormat: z
    .enum(['m4a', 'mp3', 'opus', 'flac', 'wav', 'best'])
    .default('m4a')
    .describe(
      'Format of audio jobs: m4a, mp3, opus, flac, wav, or best (the best audio stream as it is, not converted).',
    ),
  videoFormat: z.enum(['mp4', 'mkv', 'webm']).default('mp4').describe('Container of video jobs.'),
  videoMaxHeight: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Highest video height to fetch, in pixels (e.g. 1080); unset = the best there is.'),
  cover: z.boolean().default(true).describe('Save the thumbnail as the bundle cover (cover.jpg).'),
  tags: z
    .object({
      artist: TagSourcesSchema.default(['channel', 'uploader']).describe(
        'yt-dlp fields tried in order for the artist; the first with a value wins, `=text` is literal text. None: a link straight to a file takes "Artist - Title" from its name, as the inbox does; else "Unknown Artist".',
      ),
      album: TagSourcesSchema.default(['=YTDL']).describe(
        'yt-dlp fields tried in order for the album; the first with a value wins, `=text` is literal text. None = "YTDL".',
      ),
      title: TagSourcesSchema.default(['title']).describe(
        'yt-dlp fields tried in order for the title; the first with a value wins, `=text` is literal text. None = the video id.',
      ),
    })
    .prefault({})
    .describe("How artist, album and title tags are filled from yt-dlp's metadata."),
  maxDurationSec: MaxDurationSecSchema.describe(
    'Longest video fetched, in seconds (the worker refuses longer inputs too: maxDurationSec in config/instrumental-maker.yaml): one the site says is longer fails with YT_TOO_LONG before the download; one that says no length (a web radio, a live stream) is stopped with YT_TOO_LONG once what came lasts longer.',
  ),
  durationCheck: z
    .object({
      toleranceSec: z
        .number()
        .nonnegative()
        .default(2)
        .describe('Seconds the download may differ from the duration the site reports.'),
      tolerancePercent: z
        .number()
        .nonnegative()
        .default(1)
        .describe(
          'The same as a percentage of the reported duration; the larger of the two tolerances applies.',
        ),
      onMismatch: z
        .enum(['fail', 'warn'])
        .default('fail')
        .describe('fail: the entry is not published; warn: published with validation "fail" recorded.'),
    })
    .prefault({})
    .describe(
      'Compares the downloaded duration with the one the site reports, to catch downloads cut short (skipped when the site reports none).',
    ),
  playlist: z
    .object({
      expand: z
        .boolean()
        .default(true)
        .describe('Expand playlists into one job per entry; false fetches only the video a URL names.'),
      maxEntries: z
        .number()
        .int()
        .positive()
        .default(200)
        .describe('At most this many entries of a playlist are fetched (the first ones).'),
    })
    .prefault({})
    .describe('Playlist URLs.'),
  downloadArchive: z
    .object({
      enabled: z
        .boolean()
        .default(true)
        .describe('Skip videos already in the archive; a video is added once its bundle is published.'),
      dir: localPathSchema()
        .optional()
        .describe(
          'Folder of the archive files (download-archive-audio.txt, download-archive-video.txt). @default <root>/state/youtube-retriever',
        ),
    })
    .prefault({})
    .describe(
      'Remember what was fetched (yt-dlp archive format, one file per mode) so it is not fetched twice.',
    ),
  cookiesFile: localPathSchema()
    .optional()
    .describe(
      'Netscape cookies file (exported from a signed-in browser) for age-restricted videos and bot checks.',
    ),
  retries: z
    .object({
      attempts: z
        .number()
        .int()
        .min(1)
        .default(RETRY_DEFAULTS.attempts)
        .describe(
          'Attempts of one yt-dlp run when the network fails, or of reading a cookiesFile not there yet (the first included).',
        ),
      backoffMs: z
        .number()
        .int()
        .nonnegative()
        .max(...timerMax('milliseconds'))
        .default(5000)
        .describe('Milliseconds to wait before the second attempt; the wait doubles after each failure.'),
      maxBackoffMs: z
        .number()
        .int()
        .nonnegative()
        .max(...timerMax('milliseconds'))
        .default(RETRY_DEFAULTS.maxBackoffMs)
        .describe('Longest wait between two attempts, in milliseconds.'),
      ytDlpRetries: z
        .number()
        .int()
        .min(0)
        .default(5)
        .describe("yt-dlp's own retries inside one run (it resumes a broken download)."),
    })
    .prefault({})
    .describe('Retries of yt-dlp runs that fail on network trouble (not, say, a private video).'),
  socketTimeoutSec: z
    .number()
    .positive()
    .max(...timerMax('seconds'))
    .default(30)
    .describe("yt-dlp's --socket-timeout: seconds to wait on a silent connection before giving up."),
  stallTimeoutSec: z
    .number()
    .positive()
    .max(...timerMax('seconds'))
    .default(DEFAULT_STALL_TIMEOUT_SEC)
    .describe(
      'A yt-dlp run with no output and nothing growing in its download folder for this many seconds is stopped, and its link fails YT_DLP_STALLED.',
    ),
  extraArgs: z
    .array(z.string())
    .default([])
    .describe('Extra yt-dlp arguments (e.g. ["--proxy", "socks5://…"]), added before the URL.'),
  workDir: localPathSchema()
    .optional()
    .describe('Scratch folder for downloads. @default <root>/state/youtube-retriever/work'),
  subscriptions: SubscriptionListSchema.default([]).describe(
    'Channels and playlists fetched as they grow: every `every`, the list is read (yt-dlp --flat-playlist) and at most `limit` entries not fetched before become jobs. The dashboard can add more (kept in state/youtube-retriever/subscriptions.json).',
  ),
  subscriptionRetry: everySchema('5m', 'such as 5m, 15m or 1h').describe(
    "After a subscription run that failed whole (network down, the list could not be read), wait this long before trying again, twice as long after each further failure in a row, never longer than the subscription's `every`; a run that reads the list goes back to `every`.",
  ),
  http: z
    .object({
      enabled: z.boolean().default(false).describe('Start the HTTP API when the service runs on its own.'),
      host: z
        .string()
        .default(API_DEFAULTS.host)
        .describe('Address the API listens on; anything but loopback needs a token.'),
      port: z
        .number()
        .int()
        .min(0)
        .max(65535)
        .default(API_DEFAULTS.port)
        .describe('TCP port of the API (0 picks a free one).'),
      tokenFile: localPathSchema()
        .optional()
        .describe(
          'File holding the bearer token (relative to the root); else $IMK_API_TOKEN. Required when host is not loopback.',
        ),
      allowedHosts: z
        .array(z.string().min(1))
        .default([])
        .describe(
          "Further host names the API answers to (the Host header), e.g. a reverse proxy's name; the address it listens on, `localhost`, `127.0.0.1` and `[::1]` are always allowed.",
        ),
    })
    .prefault({})
    .describe(
      'Standalone HTTP API (POST /api/requests). `imk up` mounts the same routes in the web service instead.',
    ),
});
export type YoutubeConfig = z.infer<typeof YoutubeConfigSchema>;

/** Config with every folder resolved against the root. */
export interface YoutubeSettings extends YoutubeConfig {
  root: string;
  /** `<root>/state`: subscriptions keep their files under it (see subscriptionPaths). */
  stateDir: string;
  queuesDir: string;
  requestsDir: string;
  workDir: string;
  archiveDir: string;
  cacheDir: string;
}

export async function loadYoutubeSettings(
  root: string,
  overrides: Partial<YoutubeConfig> = {},
): Promise<YoutubeSettings> {
  const { config, paths, stateDir, defaultWorkDir, cacheDir, fromRoot } = await loadRetrieverSettings(
    SERVICE_NAME,
    YoutubeConfigSchema,
    root,
    overrides,
  );
  return {
    ...config,
    root: paths.root,
    stateDir: paths.state,
    queuesDir: paths.queues,
    requestsDir: fromRoot(config.requestsDir, DEFAULT_REQUESTS_DIR),
    workDir: fromRoot(config.workDir, defaultWorkDir),
    archiveDir: fromRoot(config.downloadArchive.dir, stateDir),
    ...(config.cookiesFile !== undefined && {
      cookiesFile: fromRoot(config.cookiesFile, config.cookiesFile),
    }),
    ...(config.http.tokenFile !== undefined && {
      http: { ...config.http, tokenFile: fromRoot(config.http.tokenFile, config.http.tokenFile) },
    }),
    cacheDir,
  };
}
