import { randomBytes } from 'node:crypto';
import { extname, join } from 'node:path';
import { ImkError, isImkError } from '@imk/errors';
import { publishBundle, type BundleFileInput } from '@imk/fsqueue';
import { parseFileName, probeMedia, songFileName, tagNames, type TagNames } from '@imk/media';
import { jobIdProblem, producerInfo } from '@imk/protocol';
import { readableName } from '@imk/retriever-sdk';
import { contextFrom, print } from '../context.ts';

interface EnqueueOptions {
  root?: string;
  queue: string;
  artist?: string;
  album?: string;
  title?: string;
  video?: string;
  cover?: string;
  jobId?: string;
  priority?: string;
}

/** `imk enqueue <audio-file>` */
export async function enqueueCommand(audioFile: string, options: EnqueueOptions): Promise<void> {
  const { paths } = contextFrom(options);
  const tags = await resolveTags(audioFile, options);
  const jobId = options.jobId ?? makeJobId(tags.artist, tags.title);
  const idProblem = jobIdProblem(jobId);
  if (idProblem !== undefined) throw new ImkError('INVALID_JOB_ID', `--job-id: ${idProblem}`);

  const files: BundleFileInput[] = [{ name: `audio${extOf(audioFile)}`, source: audioFile }];
  const job: Record<string, unknown> & { job_id: string } = {
    job_id: jobId,
    source_type: 'local',
    ...tags,
    audio_path: files[0]!.name,
    producer: producerInfo('imk-enqueue'),
  };
  if (options.video) {
    files.push({ name: `video${extOf(options.video)}`, source: options.video });
    job.video_path = files.at(-1)!.name;
  }
  if (options.cover) {
    files.push({ name: `cover${extOf(options.cover)}`, source: options.cover });
    job.cover_path = files.at(-1)!.name;
  }
  if (options.priority !== undefined) job.options = { priority: Number(options.priority) };
  const published = await publishBundle({ queueDir: join(paths.queues, options.queue), job, files });
  print(published.jobId);
}

interface Tags {
  artist?: string;
  album?: string;
  title?: string;
}

/**
 * Tags given on the command line win, then the file's own tags (ffprobe), then "Artist - Title.ext" read as
 * the inbox and the dashboard's upload read it (parseFileName: a leading track number is no artist).
 */
async function resolveTags(audioFile: string, options: EnqueueOptions): Promise<Tags> {
  let fileTags: Partial<TagNames> = {};
  try {
    fileTags = tagNames(await probeMedia(audioFile));
  } catch (error) {
    // A missing ffprobe only costs the tags; a file that is not audio is the user's mistake to hear about.
    if (!isImkError(error) || error.code.startsWith('MEDIA_')) throw error;
  }
  const fromName = parseFileName(songFileName(audioFile));
  const pick = (...values: (string | undefined)[]): string | undefined =>
    values.map((value) => value?.trim()).find((value) => value !== undefined && value !== '');
  const tags: Tags = {};
  const artist = pick(options.artist, fileTags.artist, fromName.artist);
  const album = pick(options.album, fileTags.album);
  const title = pick(options.title, fileTags.title, fromName.title);
  if (artist !== undefined) tags.artist = artist;
  if (album !== undefined) tags.album = album;
  if (title !== undefined) tags.title = title;
  return tags;
}

/** A readable id: ascii slug of "artist title", then 6 random hex characters. */
export function makeJobId(artist: string | undefined, title: string | undefined): string {
  const text = [artist, title].filter(Boolean).join(' ');
  const slug = readableName(text, Infinity)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return `${slug || 'job'}-${randomBytes(3).toString('hex')}`;
}

function extOf(file: string): string {
  const ext = extname(file).toLowerCase();
  return /^\.[a-z0-9]{1,8}$/.test(ext) ? ext : '';
}
