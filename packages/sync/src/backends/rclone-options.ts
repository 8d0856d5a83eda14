import { z } from 'zod';
import { localPathSchema } from '@imk/config';
import { BackendBaseSchema } from './common.ts';

/** The rclone backend's settings (one route target's `backends.<name>` entry of type rclone). */
export const RCLONE_BACKEND = 'rclone';

export const RcloneOptionsSchema = BackendBaseSchema.extend({
  type: z.literal(RCLONE_BACKEND).describe('Any remote configured in rclone, through the rclone program.'),
  remote: z
    .string()
    .regex(/:/, 'an rclone remote such as "nas:" or "nas:music" (the part before the path, with its colon)')
    .describe(
      'A remote configured in rclone (rclone config), optionally with a base path: "nas:" or "gdrive:Music".',
    ),
  configFile: localPathSchema()
    .optional()
    .describe("rclone.conf to use. @default rclone's own (~/.config/rclone/rclone.conf)"),
  rename: z
    .union([z.boolean(), z.literal('auto')])
    .default('auto')
    .describe(
      'Upload to a temporary name and move it into place; auto = when the remote moves files itself (not object stores, whose uploads are atomic anyway).',
    ),
  hashMethod: z
    .enum(['auto', 'server', 'read-back'])
    .default('auto')
    .describe(
      "server: the remote's own hash of the copy (sha256, else md5/sha1 compared with the same hash of the local file); read-back: download and hash; auto: server when the remote has a hash, else read-back.",
    ),
  flags: z.array(z.string()).default([]).describe('More rclone flags, e.g. ["--sftp-set-modtime=false"].'),
  rcloneBinary: z
    .string()
    .default('rclone')
    .describe('The rclone program on this host: a name on PATH, or a path.'),
});
export type RcloneOptions = z.input<typeof RcloneOptionsSchema>;
