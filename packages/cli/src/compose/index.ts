import type { Logger } from '@imk/log';
import { stemCacheDirSource } from './stem-cache.ts';
import { nasSyncStatusSource } from './sync-status.ts';
import { URL_RETRIEVERS } from './url-retrievers.ts';

export { URL_RETRIEVERS } from './url-retrievers.ts';
export { nasSyncStatusSource } from './sync-status.ts';

/**
 * What one service receives from the others, as start options: services import no services, so the CLI
 * hands the dashboard the URL retrievers, nas-sync's status and the worker's stem cache folder, and the
 * YouTube API every retriever.
 */
export function compositionFor(service: string, root: string, logger: Logger): Record<string, unknown> {
  switch (service) {
    case 'web':
      return {
        urlRetrievers: URL_RETRIEVERS,
        syncStatus: nasSyncStatusSource(root, logger),
        stemCacheDir: stemCacheDirSource(root),
      };
    case 'youtube-retriever':
      return { retrievers: URL_RETRIEVERS };
    default:
      return {};
  }
}
