// The Deezer links the retriever takes, in a module that imports nothing: run-deemix's messages name them,
// and it is loaded (by `imk doctor`, say) without the retriever-sdk that deezer-url.ts needs.
export const DEEZER_KINDS = ['track', 'album', 'playlist'] as const;
export type DeezerKind = (typeof DEEZER_KINDS)[number];
