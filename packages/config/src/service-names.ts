/**
 * The name of a service that a library has to name, defined once here (a library imports no service,
 * STYLE 14) and taken from here by the service's own definition: the YouTube retriever's state folder,
 * `state/youtube-retriever/`, holds the subscriptions that @imk/retriever-sdk reads and the dashboard edits.
 */
export const YOUTUBE_RETRIEVER = 'youtube-retriever';
