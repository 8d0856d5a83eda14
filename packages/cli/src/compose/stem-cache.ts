/**
 * The worker's stem cache folder, for the dashboard's mixer: read from the worker's config when the web
 * service starts (services import no services; the worker's package is loaded only then).
 */
export function stemCacheDirSource(root: string): () => Promise<string> {
  return async () => (await import('@imk/instrumental-maker-service')).loadStemCacheDir(root);
}
