/**
 * The worker's stem cache folder, for the dashboard's mixer: read from the worker's config when the web
 * service starts or `imk cleanup` runs (services import no services). Only the worker's config module is
 * loaded, not its code.
 */
export function stemCacheDirSource(root: string): () => Promise<string> {
  return async () => (await import('@imk/instrumental-maker-service/stem-cache-dir')).loadStemCacheDir(root);
}
