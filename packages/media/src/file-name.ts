import { basename, extname } from 'node:path';

/** The double extension of a Native Instruments stem file (`Artist - Title.stem.mp4`). */
const STEM_MP4_EXTENSION = /\.stem\.mp4$/i;

/**
 * A media file's name without its folder and extension, the name a song made from it is called by:
 * `Artist - Title.mp3` → `Artist - Title`. A Native Instruments stem file's `.stem.mp4` counts as one
 * extension (`Artist - Title.stem.mp4` → `Artist - Title`, not `Artist - Title.stem`), so a DJ's stem file
 * gives its outputs the song's name. A name that is nothing but the extension keeps what `extname` leaves.
 */
export function songFileName(file: string): string {
  const name = basename(file);
  const stemMp4 = STEM_MP4_EXTENSION.exec(name);
  if (stemMp4 !== null && stemMp4.index > 0) return name.slice(0, stemMp4.index);
  return basename(name, extname(name));
}
