import type { Logger } from '@imk/log';

/**
 * What one service receives from the others, as start options: services import no services, so the CLI
 * hands the dashboard the URL retrievers, nas-sync's status and the worker's stem cache folder, and the
 * YouTube API every retriever. Those packages are imported only for the services that take them (`imk run`
 * of the worker loads none).
 */
export async function compositionFor(
  service: string,
  root: string,
  logger: Logger,
): Promise<Record<string, unknown>> {
  switch (service) {
    case 'web': {
      const [{ URL_RETRIEVERS }, { nasSyncStatusSource }, { stemCacheDirSource }] = await Promise.all([
        import('./url-retrievers.ts'),
        import('./sync-status.ts'),
        import('./stem-cache.ts'),
      ]);
      return {
        urlRetrievers: URL_RETRIEVERS,
        syncStatus: nasSyncStatusSource(root, logger),
        stemCacheDir: stemCacheDirSource(root),
      };
    }
    case 'youtube-retriever':
      return { retrievers: (await import('./url-retrievers.ts')).URL_RETRIEVERS };
    default:
      return {};
  }
}
