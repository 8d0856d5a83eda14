import { z } from 'zod';
import { SecretRefSchema, timerMax } from '@imk/config';

const url = z
  .url({ protocol: /^https?$/ })
  .describe('Base URL of the server, e.g. http://jellyfin.lan:8096.');
const pathMap = z
  .strictObject({
    from: z
      .string()
      .min(1)
      .describe('Start of the delivered path, as nas-sync wrote it (e.g. /mnt/nas/music).'),
    to: z.string().min(1).describe('The same folder as the media server sees it (e.g. /data/music).'),
  })
  .optional()
  .describe(
    'When the server mounts the share under another path: how to turn a delivered path into its path.',
  );

/** minIntervalSec's default: its home (docs/notifications.md states it through doc-values). */
export const MEDIA_REFRESH_MIN_INTERVAL_SEC = 300;

const minIntervalSec = z
  .number()
  .nonnegative()
  .max(...timerMax('seconds'))
  .default(MEDIA_REFRESH_MIN_INTERVAL_SEC)
  .describe(
    'The least time between two refreshes of this server, in seconds (the running service): files delivered meanwhile wait and go in one refresh when it is over. 0 = a refresh after every pass that delivers.',
  );

export const JellyfinServerSchema = z.strictObject({
  type: z.literal('jellyfin'),
  url,
  token: SecretRefSchema.describe('A Jellyfin API key (Dashboard → API Keys).'),
  mode: z
    .enum(['paths', 'library'])
    .default('paths')
    .describe(
      'paths = report the new files (POST /Library/Media/Updated: Jellyfin scans just those); library = refresh every library (POST /Library/Refresh).',
    ),
  pathMap,
  minIntervalSec,
});

export const PlexServerSchema = z.strictObject({
  type: z.literal('plex'),
  url,
  token: SecretRefSchema.describe('An X-Plex-Token.'),
  section: z
    .union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)])
    .describe('The library section id (the number in /library/sections/<id>).'),
  pathMap,
  minIntervalSec,
});

export const SubsonicServerSchema = z.strictObject({
  type: z.enum(['subsonic', 'navidrome']),
  url,
  user: z.string().min(1).describe('The user (an admin: startScan needs one on Navidrome).'),
  password: SecretRefSchema.describe('The password; sent only as md5(password + salt) with a fresh salt.'),
  client: z.string().min(1).default('instrumental-maker').describe('The `c` parameter: who is asking.'),
  apiVersion: z
    .string()
    .regex(/^\d+\.\d+\.\d+$/)
    .default('1.16.1')
    .describe('The `v` parameter.'),
  minIntervalSec,
});

/** A media server nas-sync asks to look for new files after a pass delivered some (named by routes' `refresh`). */
export const MediaServerSchema = z.discriminatedUnion('type', [
  JellyfinServerSchema,
  PlexServerSchema,
  SubsonicServerSchema,
]);
export type MediaServer = z.output<typeof MediaServerSchema>;
