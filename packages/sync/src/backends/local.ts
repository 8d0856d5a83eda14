import { dirname } from 'node:path';
import { z } from 'zod';
import { localPathSchema } from '@imk/config';
import { SYNC_DEFAULTS } from '../defaults.ts';
import type { BackendContext, PutRequest, PutResult, RemoteEntry, SyncBackend } from '../types.ts';
import { BackendBaseSchema } from './common.ts';
import { localPathOf } from './local-destination.ts';
import { destinationSetup, localHelper } from './local-helper.ts';

export const LOCAL_BACKEND = 'local';

export const LocalOptionsSchema = BackendBaseSchema.extend({
  type: z.literal(LOCAL_BACKEND).describe('A folder on this host or a mounted share (NFS, SMB).'),
  root: localPathSchema()
    .optional()
    .describe(
      'Folder that route paths are relative to (a NAS mount, say). @default "/" (route paths are absolute)',
    ),
  fsync: z.boolean().default(true).describe('fsync each file and its folder so a power cut cannot lose it.'),
});
export type LocalOptions = z.input<typeof LocalOptionsSchema>;

/**
 * A folder on this host or a mounted share (NFS, SMB): temp name, fsync, then link (no overwrite) or rename.
 * The work at the destination (local-destination.ts) runs in a helper process with a watchdog
 * (local-helper.ts): a share that stops answering fails this destination for the pass (UNREACHABLE) instead
 * of hanging the pass and this process's file-system threads.
 */
export function createLocalBackend(input: LocalOptions, context: BackendContext): SyncBackend {
  const options = LocalOptionsSchema.parse(input);
  const helper = localHelper(context.name, context.shareTimeoutMs ?? SYNC_DEFAULTS.shareTimeoutSec * 1000);
  const destination = destinationSetup(options, context);

  const pathOf = (remotePath: string): string => localPathOf(options.root, remotePath, context.name);

  return {
    type: LOCAL_BACKEND,
    name: context.name,

    async put(request: PutRequest): Promise<PutResult> {
      const { signal, ...sent } = request;
      return helper.call(destination, 'put', [sent], dirname(pathOf(request.remotePath)), signal);
    },

    async stat(remotePath): Promise<RemoteEntry | undefined> {
      return helper.call(destination, 'stat', [remotePath], dirname(pathOf(remotePath)));
    },

    async hash(remotePath) {
      return helper.call(destination, 'hash', [remotePath], dirname(pathOf(remotePath)));
    },

    pathOnThisHost: (remotePath) => Promise.resolve(pathOf(remotePath)),

    async list(remoteDir) {
      return helper.call(destination, 'list', [remoteDir], pathOf(remoteDir));
    },

    async remove(remotePath) {
      return helper.call(destination, 'remove', [remotePath], dirname(pathOf(remotePath)));
    },

    close: () => {
      helper.endPass();
      return Promise.resolve();
    },
  };
}
