import { z } from 'zod';
import type { BackendContext, SyncBackend } from '../types.ts';
import { joinRemote } from '../util/remote-path.ts';
import { LOCAL_BACKEND, LocalOptionsSchema, createLocalBackend } from './local.ts';
import { RCLONE_BACKEND, RcloneOptionsSchema, createRcloneBackend } from './rclone.ts';
import { RSYNC_BACKEND, RsyncOptionsSchema, createRsyncBackend } from './rsync.ts';
import { S3_BACKEND, S3OptionsSchema, createS3Backend } from './s3.ts';
import { SFTP_BACKEND, SftpOptionsSchema, createSftpBackend } from './sftp.ts';

/** Options of any backend, told apart by `type`. */
export const BackendOptionsSchema = z.discriminatedUnion('type', [
  LocalOptionsSchema,
  RsyncOptionsSchema,
  SftpOptionsSchema,
  S3OptionsSchema,
  RcloneOptionsSchema,
]);
export type BackendOptions = z.input<typeof BackendOptionsSchema>;

export const BACKEND_TYPES = [
  LOCAL_BACKEND,
  RSYNC_BACKEND,
  SFTP_BACKEND,
  S3_BACKEND,
  RCLONE_BACKEND,
] as const;
export type BackendType = (typeof BACKEND_TYPES)[number];

/** Creates the backend an options object names. Checks the options (and reads secrets) up front. */
export function createBackend(options: BackendOptions, context: BackendContext): SyncBackend {
  switch (options.type) {
    case 'local':
      return createLocalBackend(options, context);
    case 'rsync':
      return createRsyncBackend(options, context);
    case 'sftp':
      return createSftpBackend(options, context);
    case 's3':
      return createS3Backend(options, context);
    case 'rclone':
      return createRcloneBackend(options, context);
  }
}

/**
 * Where a copy is on its destination, as the backend wrote it: a route's path joined to the backend's `root`
 * (`local`, `rsync`, `sftp`: `/mnt/nas` + `Music/A/T.m4a`) or key `prefix` (`s3`); for `rclone`, the path
 * on its remote. What a media server is told of a delivered file (and what its pathMap.from starts): the
 * route's path alone was relative to the root, which no server could find.
 */
export function pathOnDestination(options: BackendOptions, remotePath: string): string {
  switch (options.type) {
    case 'local':
    case 'rsync':
    case 'sftp':
      return joinRemote(options.root, remotePath);
    case 's3':
      return joinRemote(options.prefix, remotePath).replace(/^\/+/, '');
    case 'rclone':
      return remotePath;
  }
}
