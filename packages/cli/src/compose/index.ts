import type { Logger } from '@imk/log';

/**
 * What one service receives from the others, as start options: services import no services, so the CLI
 * hands the dashboard the URL retrievers and nas-sync's status, and the YouTube API every retriever.
 * Those packages are imported only for the services that take them (`imk run` of the worker loads none).
 */
export async function compositionFor(
  service: string,
  root: string,
  logger: Logger,
): Promise<Record<string, unknown>> {
  switch (service) {
    case 'web': {
      const [{ URL_RETRIEVERS }, { nasSyncStatusSource }] = await Promise.all([
        import('./url-retrievers.ts'),
        import('./sync-status.ts'),
      ]);
      return { urlRetrievers: URL_RETRIEVERS, syncStatus: nasSyncStatusSource(root, logger) };
    }
    case 'youtube-retriever':
      return { retrievers: (await import('./url-retrievers.ts')).URL_RETRIEVERS };
    default:
      return {};
  }
}
