import { randomBytes } from 'node:crypto';
import { basename, extname, join } from 'node:path';
import { Option, type Command } from 'commander';
import { QUEUE_NAMES } from '@imk/config';
import { ImkError, isImkError } from '@imk/errors';
import { publishBundle, type BundleFileInput } from '@imk/fsqueue';
import { probeMedia } from '@imk/media';
import { JobIdSchema, producerInfo } from '@imk/protocol';
import { contextFrom, print, withRoot } from '../context.ts';

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

export function registerEnqueue(program: Command): void {
  withRoot(
    program
      .command('enqueue')
      .argument('<audio-file>', 'the song to process (copied into the bundle)')
      .description('publish a job bundle by hand and print its job id')
      .addOption(
        new Option('--queue <queue>', 'queue to publish into').choices([...QUEUE_NAMES]).default('other'),
      )
      .option('--artist <artist>', 'artist tag (default: the file\'s tag, else "Artist - Title" in its name)')
      .option('--album <album>', "album tag (default: the file's tag)")
      .option('--title <title>', "title tag (default: the file's tag, else its name)")
      .option('--video <file>', 'a video whose audio is replaced by the instrumental')
      .option('--cover <file>', 'cover art image')
      .option('--job-id <id>', 'job id (default: a readable slug of the tags plus a short random suffix)')
      .option('--priority <n>', 'higher runs first (-100 to 100, default 0)'),
  ).action(async (audioFile: string, options: EnqueueOptions) => {
    const { paths } = contextFrom(options);
    const tags = await resolveTags(audioFile, options);
    const jobId = options.jobId ?? makeJobId(tags.artist, tags.title);
    const idCheck = JobIdSchema.safeParse(jobId);
    if (!idCheck.success)
      throw new ImkError(
        'INVALID_JOB_ID',
        `--job-id "${jobId}": ${idCheck.error.issues[0]?.message ?? 'invalid'}`,
      );

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
  });
}

interface Tags {
  artist?: string;
  album?: string;
  title?: string;
}

/** Tags given on the command line win, then the file's own tags (ffprobe), then "Artist - Title.ext". */
async function resolveTags(audioFile: string, options: EnqueueOptions): Promise<Tags> {
  let fileTags: Record<string, string> = {};
  try {
    fileTags = (await probeMedia(audioFile)).tags;
  } catch (error) {
    // A missing ffprobe only costs the tags; a file that is not audio is the user's mistake to hear about.
    if (!isImkError(error) || error.code.startsWith('MEDIA_')) throw error;
  }
  const stem = basename(audioFile, extname(audioFile));
  const dash = stem.indexOf(' - ');
  const fromName =
    dash > 0 ? { artist: stem.slice(0, dash).trim(), title: stem.slice(dash + 3).trim() } : { title: stem };
  const pick = (...values: (string | undefined)[]): string | undefined =>
    values.map((value) => value?.trim()).find((value) => value !== undefined && value !== '');
  const tags: Tags = {};
  const artist = pick(options.artist, fileTags.artist, fileTags.album_artist, fromName.artist);
  const album = pick(options.album, fileTags.album);
  const title = pick(options.title, fileTags.title, fromName.title);
  if (artist !== undefined) tags.artist = artist;
  if (album !== undefined) tags.album = album;
  if (title !== undefined) tags.title = title;
  return tags;
}

/** A readable id: ascii slug of "artist title", then 6 random hex characters. */
export function makeJobId(artist: string | undefined, title: string | undefined): string {
  const slug = [artist, title]
    .filter(Boolean)
    .join(' ')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
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
