import { tagNames, type MediaInfo } from '@imk/media';
import { namesAreLegacyDeezerGuesses, type Job } from '@imk/protocol';

/**
 * The job with the names its files get: job.json's, or, when it gives no title (a bundle made by hand or by
 * a script that only copies the file), the input's tags as ffprobe read them, each field job.json left out
 * (a field it gave is kept). Without it such a job's files were named after its id
 * (`files/audio/job_x.m4a`) though the file said "Artist - Title". `from` is `tags` when any name came from
 * them (the manifest's names_from), undefined when job.json's stand.
 */
export function namesFromTags(job: Job, info: MediaInfo | undefined): { job: Job; from: 'tags' | undefined } {
  // A song of the earlier Deezer retriever's bundle: "Unknown" and a file name are its guesses, not names
  // (`Unknown - Artist - Title.m4a`, tagged artist "Unknown", album "Unknown"); the tags win, when there.
  const guessed = namesAreLegacyDeezerGuesses(job);
  if (((job.title ?? '').trim() !== '' && !guessed) || info === undefined) return { job, from: undefined };
  const tags = tagNames(info);
  if (tags.title === undefined) return { job, from: undefined };
  // Guessed: its artist and album are both the placeholder.
  const blank = (value: string | null | undefined): boolean => guessed || (value ?? '').trim() === '';
  return {
    job: {
      ...job,
      title: tags.title,
      ...(blank(job.artist) && tags.artist !== undefined && { artist: tags.artist }),
      ...(blank(job.album) && tags.album !== undefined && { album: tags.album }),
    },
    from: 'tags',
  };
}
