/**
 * Demuxers ffmpeg and ffprobe may use on a file: self-contained audio, video and image formats. Playlist
 * and list demuxers (hls, dash, concat/ffconcat, image2 sequences, …) are left out: an "audio.m4a" that is
 * really an HLS playlist or an ffconcat list would make ffmpeg read other files on this disk. A name in
 * the list matches a demuxer whose name list contains it ("mov" is "mov,mp4,m4a,3gp,3g2,mj2").
 */
export const ALLOWED_DEMUXERS = [
  // audio
  'mov',
  'mp3',
  'flac',
  'wav',
  'w64',
  'ogg',
  'matroska',
  'aac',
  'aiff',
  'caf',
  'asf',
  'ac3',
  'eac3',
  'dts',
  'wv',
  'ape',
  'tta',
  'dsf',
  'mpc',
  'mpc8',
  'truehd',
  'mlp',
  'amr',
  'au',
  'loas',
  'rm',
  'voc',
  'xwma',
  // video containers a retriever may hand over
  'avi',
  'flv',
  'mpegts',
  'mpeg',
  'mxf',
  'nut',
  // cover images (probed by content, never as a numbered sequence)
  'jpeg_pipe',
  'png_pipe',
  'webp_pipe',
  'bmp_pipe',
  'gif',
  'tiff_pipe',
] as const;

/**
 * The arguments before every untrusted input file of ffmpeg and ffprobe: only the file and pipe protocols
 * (no http, concat:, subfile:, …) and only the demuxers above. ffprobe takes the same options.
 */
export const UNTRUSTED_INPUT_OPTIONS: readonly string[] = [
  '-protocol_whitelist',
  'file,pipe',
  '-format_whitelist',
  ALLOWED_DEMUXERS.join(','),
];

/** `-i file` with the untrusted-input options before it: the one place media builds an input. */
export function inputArgs(file: string): string[] {
  return [...UNTRUSTED_INPUT_OPTIONS, '-i', file];
}

/** The demuxer ffmpeg or ffprobe refused because of the whitelist, from its stderr; undefined if none. */
export function refusedDemuxer(stderr: string | undefined): string | undefined {
  const match = /\[([^\]@]+?) @ [^\]]*\] Format not on whitelist/.exec(stderr ?? '');
  return match ? match[1]!.trim() : /not on whitelist/i.test(stderr ?? '') ? 'unknown' : undefined;
}

/** Demuxers that read other files or URLs named inside the input. */
const LIST_DEMUXERS =
  /^(hls|applehttp|dash|webm_dash_manifest|concat|ffconcat|image2|image2pipe|imagepipe|mpl2|hds|smoothstreaming|sdp|rtsp|unknown)$/;

export function isListDemuxer(name: string): boolean {
  return LIST_DEMUXERS.test(name);
}
