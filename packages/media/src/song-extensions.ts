/**
 * The file extensions (without the dot) a song is taken from, wherever a user hands imk a file: the
 * dashboard's upload and the inbox's default `extensions`. One list: the upload took `.aac` while the inbox
 * set the same file aside as "not a media file this inbox takes".
 */
export const SONG_FILE_EXTENSIONS = [
  'mp3',
  'm4a',
  'flac',
  'wav',
  'ogg',
  'opus',
  'aac',
  'mp4',
  'mkv',
  'webm',
] as const;
