import { join } from 'node:path';
import { z } from 'zod';
import { FETCH_MODES, loadRetrieverSettings } from '@imk/retriever-sdk';

export const SERVICE_NAME = 'youtube-retriever';

/** A tag comes from the first of these yt-dlp fields that has a value; `=text` is literal text. */
const TagSourcesSchema = z.array(z.string().min(1)).min(1);

export const YoutubeConfigSchema = z.object({
  /** yt-dlp binary; else $IMK_YT_DLP, else PATH. Never downloaded. */
  ytDlpPath: z.string().optional(),
  /** Folder of `.txt` request files. @default <root>/requests/youtube */
  requestsDir: z.string().optional(),
  pollIntervalMs: z.number().int().min(50).default(2000),
  /** Mode when a request does not say. */
  defaultMode: z.enum(FETCH_MODES).default('audio'),
  /** Audio format: m4a (default, like the earlier version), mp3, opus, flac, wav, or best (no conversion). */
  audioFormat: z.enum(['m4a', 'mp3', 'opus', 'flac', 'wav', 'best']).default('m4a'),
  /** Container of video jobs. */
  videoFormat: z.enum(['mp4', 'mkv', 'webm']).default('mp4'),
  /** Highest video height to fetch (e.g. 1080); unset = best. */
  videoMaxHeight: z.number().int().positive().optional(),
  /** Save the thumbnail as cover.jpg. */
  cover: z.boolean().default(true),
  tags: z
    .object({
      artist: TagSourcesSchema.default(['channel', 'uploader']),
      album: TagSourcesSchema.default(['=YTDL']),
      title: TagSourcesSchema.default(['title']),
    })
    .default({ artist: ['channel', 'uploader'], album: ['=YTDL'], title: ['title'] }),
  durationCheck: z
    .object({
      toleranceSec: z.number().nonnegative().default(2),
      tolerancePercent: z.number().nonnegative().default(1),
      /** fail: the entry is not published; warn: published with validation "fail" recorded. */
      onMismatch: z.enum(['fail', 'warn']).default('fail'),
    })
    .default({ toleranceSec: 2, tolerancePercent: 1, onMismatch: 'fail' }),
  playlist: z
    .object({
      /** Expand playlists into one job per entry; false fetches only the video a URL names. */
      expand: z.boolean().default(true),
      maxEntries: z.number().int().positive().default(200),
    })
    .default({ expand: true, maxEntries: 200 }),
  /** Remember what was fetched (yt-dlp archive format, one file per mode) so it is not fetched twice. */
  downloadArchive: z
    .object({ enabled: z.boolean().default(true), dir: z.string().optional() })
    .default({ enabled: true }),
  /** Netscape cookies file (exported from a signed-in browser) for age-restricted videos and bot checks. */
  cookiesFile: z.string().optional(),
  retries: z
    .object({
      /** Attempts of one yt-dlp run when the network fails (the first included). */
      attempts: z.number().int().min(1).default(3),
      backoffMs: z.number().int().nonnegative().default(5000),
      maxBackoffMs: z.number().int().nonnegative().default(60_000),
      /** yt-dlp's own retries inside one run (it resumes a broken download). */
      ytDlpRetries: z.number().int().min(0).default(5),
    })
    .default({ attempts: 3, backoffMs: 5000, maxBackoffMs: 60_000, ytDlpRetries: 5 }),
  socketTimeoutSec: z.number().positive().default(30),
  /** Extra yt-dlp arguments (e.g. ["--proxy", "socks5://…"]), added before the URL. */
  extraArgs: z.array(z.string()).default([]),
  /** Scratch folder for downloads. @default <root>/state/youtube-retriever/work */
  workDir: z.string().optional(),
  /** Standalone HTTP API (POST /api/requests). `imk up` mounts the same routes in the web service instead. */
  http: z
    .object({
      enabled: z.boolean().default(false),
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8790),
      /** File holding the bearer token; else $IMK_API_TOKEN. Required when host is not loopback. */
      tokenFile: z.string().optional(),
    })
    .default({ enabled: false, host: '127.0.0.1', port: 8790 }),
});
export type YoutubeConfig = z.infer<typeof YoutubeConfigSchema>;

/** Config with every folder resolved against the root. */
export interface YoutubeSettings extends YoutubeConfig {
  root: string;
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
  const { config, paths, stateDir, fromRoot } = await loadRetrieverSettings(
    SERVICE_NAME,
    YoutubeConfigSchema,
    root,
    overrides,
  );
  return {
    ...config,
    root: paths.root,
    queuesDir: paths.queues,
    requestsDir: fromRoot(config.requestsDir, join('requests', 'youtube')),
    workDir: fromRoot(config.workDir, join(stateDir, 'work')),
    archiveDir: fromRoot(config.downloadArchive.dir, stateDir),
    ...(config.cookiesFile !== undefined && {
      cookiesFile: fromRoot(config.cookiesFile, config.cookiesFile),
    }),
    cacheDir: join(stateDir, 'cache'),
  };
}
