import { z } from 'zod';
import { SshConnectionSchema } from '../util/ssh-options.ts';
import { BackendBaseSchema } from './common.ts';

export const RSYNC_BACKEND = 'rsync';

/** An rsync destination's options in config/nas-sync.yaml (the backend is rsync.ts). */
export const RsyncOptionsSchema = BackendBaseSchema.extend(SshConnectionSchema.shape).extend({
  type: z.literal(RSYNC_BACKEND).describe('rsync to a folder on this host, or over ssh when host is set.'),
  host: z.string().min(1).optional().describe('Server to reach over ssh; absent = a folder on this host.'),
  // ssh finds its own keys when none is named (sftp, which is no ssh, needs a key or a password).
  privateKeyFile: SshConnectionSchema.shape.privateKeyFile.describe(
    `${SshConnectionSchema.shape.privateKeyFile.description ?? ''} @default ssh's own`,
  ),
  root: z.string().optional().describe('Folder that route paths are relative to.'),
  partialDir: z
    .string()
    .regex(/^[^/]+$/, 'a folder name (it is created beside each file)')
    .default('.imk-partial')
    .describe(
      "rsync's --partial-dir: an interrupted transfer resumes from here and never sits under the final name.",
    ),
  fsync: z.boolean().default(false).describe('Pass --fsync (rsync >= 3.2.4 on both ends).'),
  rsyncPath: z
    .string()
    .optional()
    .describe('Remote rsync program (--rsync-path), e.g. /usr/local/bin/rsync.'),
  extraArgs: z.array(z.string()).default([]).describe('More rsync arguments, e.g. ["--chmod=F644"].'),
  rsyncBinary: z
    .string()
    .default('rsync')
    .describe('The rsync program on this host: a name on PATH, or a path.'),
  sshBinary: z.string().default('ssh').describe('The ssh program on this host: a name on PATH, or a path.'),
});
export type RsyncOptions = z.input<typeof RsyncOptionsSchema>;
