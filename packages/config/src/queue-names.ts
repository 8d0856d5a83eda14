// The standard queues, in a module that imports nothing: the legacy keys' table (evaluated while paths.ts's
// own imports load) names them too.
export const QUEUE_NAMES = ['youtube_audio', 'youtube_video', 'other'] as const;
