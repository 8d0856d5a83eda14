// Which file names the inbox takes, and the readable part of a name it builds a job's name from.
import { readableName } from '@imk/retriever-sdk';

/** Names browsers and copy tools give files still being written; they are renamed when complete. */
export const IN_PROGRESS = /\.(?:part|crdownload|download|partial|tmp|temp|!qb|opdownload)$|~$/i;
/** Containers that may hold a video as well as the song. */
export const VIDEO_CONTAINERS = new Set(['.mp4', '.mkv', '.webm']);

/** The readable part of a file's stem, for a job's name. */
export function readablePart(stem: string): string {
  return readableName(stem, 40) || 'file';
}
