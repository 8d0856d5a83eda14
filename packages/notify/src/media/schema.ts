import { z } from 'zod';
import { SecretRefSchema } from '@imk/config';

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
});

export const PlexServerSchema = z.strictObject({
  type: z.literal('plex'),
  url,
  token: SecretRefSchema.describe('An X-Plex-Token.'),
  section: z
    .union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)])
    .describe('The library section id (the number in /library/sections/<id>).'),
  pathMap,
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
});

/** A media server nas-sync asks to look for new files after a pass delivered some (named by routes' `refresh`). */
export const MediaServerSchema = z.discriminatedUnion('type', [
  JellyfinServerSchema,
  PlexServerSchema,
  SubsonicServerSchema,
]);
export type MediaServer = z.output<typeof MediaServerSchema>;
