import type { Job } from './job.ts';

/**
 * Whether a job is the video half of a song fetched in mode "both": it publishes its video artifacts only
 * (the source video and the video with the instrumental as its sound), while the pair's audio job publishes
 * the audio variants and stems, so that nothing of one song is delivered twice (as "Title (2).m4a").
 *
 * Ours say so in `paired_audio_job`. An earlier-version bundle (no `schema_version`) with a `video_path` and
 * no audio (`audio_path`, `audio_files`) is read the same way: its video jobs never had audio outputs, and
 * its mode "both" wrote the audio job beside it. A video job of ours fetched alone (mode video) has no
 * `paired_audio_job` and publishes the audio variants and stems too.
 */
export function isVideoHalf(job: Job): boolean {
  if (job.remix !== undefined) return false;
  if (job.paired_audio_job !== undefined) return job.video_path !== undefined;
  return (
    job.schema_version === undefined &&
    job.video_path !== undefined &&
    job.audio_path === undefined &&
    !job.audio_files?.length
  );
}
