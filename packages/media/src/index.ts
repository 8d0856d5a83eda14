export type { AbortableOptions, PcmChannels } from './types.ts';
export { parseProbeJson, probeMedia, tagNames } from './probe.ts';
export type { MediaInfo, MediaStream, ProbeOptions, TagNames } from './probe.ts';
export { DEFAULT_PROBE_TIMEOUT_MS, ProbeTimeoutSecSchema } from './probe-timeout.ts';
export { DEFAULT_SAMPLE_RATE, decodeAudio, readAudio } from './decode.ts';
export type { DecodeOptions, DecodedAudio } from './decode.ts';
export { createWavWriter } from './wav-writer.ts';
export type { WavWriter, WavWriterOptions } from './wav-writer.ts';
export { DEFAULT_BLOCK_FRAMES, readWav, readWavFile } from './wav-reader.ts';
export type { ReadWavOptions } from './wav-reader.ts';
export { readWavHeader } from './wav-header.ts';
export { readWavDeclaredSeconds, wavLengthsOf } from './wav-declared.ts';
export type { WavLengths } from './wav-declared.ts';
export { notWholeByBytes, notWholeByLength } from './not-whole.ts';
export type { WavHeader, WavOpenOptions } from './wav-header.ts';
export { ffmpegHasSoxr, runFfmpeg } from './ffmpeg-run.ts';
export { inputArgs } from './input-args.ts';
export { boundFor, heldOpen, openInputs, withOpenInputs, withinDir } from './untrusted-inputs.ts';
export type { OpenedFolder, OpenedInputs, OpenInputsOptions, Within } from './untrusted-inputs.ts';
export { AUDIO_FORMATS, DEFAULT_BITRATE, encodeAudio, encoderInputPeak } from './encode.ts';
export type { AudioFormat, EncodeOptions, EncodeResult } from './encode.ts';
export { COVER_MAX_BYTES, coverCodec } from './encode-args.ts';
export type { AudioTags } from './encode-args.ts';
export {
  EBUR128_FILTER,
  loudnormFilter,
  measureLoudness,
  parseEbur128Summary,
  parseLoudnormJson,
} from './loudness.ts';
export type { LoudnessMeasurement, LoudnessTarget } from './loudness.ts';
export { changeKeyTempo, keyTempoFilter } from './key-tempo.ts';
export type { ChangeKeyTempoOptions } from './key-tempo.ts';
export { replaceVideoAudio } from './video.ts';
export type { ReplaceVideoAudioOptions, ReplaceVideoAudioResult } from './video.ts';
export {
  LOSSY_CEILING_DBFS,
  clipCeiling,
  describeGuard,
  encodeGroupWithinCeiling,
  measureSamplePeak,
} from './clip-guard.ts';
export type { ClipGuard, GroupClipGuard, GuardedFile } from './clip-guard.ts';
export {
  STEM_BOX_TYPE,
  STEM_MP4_STREAMS,
  readStemManifest,
  stemMp4Peak,
  writeStemMp4,
} from './stem-mp4/write-stem-mp4.ts';
export type { WriteStemMp4Options } from './stem-mp4/write-stem-mp4.ts';
export {
  DEFAULT_STEM_LOOK,
  STEM_MP4_ORDER,
  defaultStemManifest,
  parseStemManifest,
} from './stem-mp4/stem-manifest.ts';
export type { StemManifest, StemManifestStem, StemMp4Stem } from './stem-mp4/stem-manifest.ts';
export { putUdtaBox, readUdtaBox } from './stem-mp4/udta-box.ts';
export { songFileName } from './file-name.ts';
export { SONG_FILE_EXTENSIONS } from './song-extensions.ts';
export { parseFileName, tagsFor } from './song-names.ts';
export type { FileTags } from './song-names.ts';
export { withTempOutput } from './temp-output.ts';
export { MEDIA_ERRORS } from './errors.ts';
