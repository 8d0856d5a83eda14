import { extname, join } from 'node:path';
import { ImkError } from '@imk/errors';
import { DEFAULT_QUEUE, resolvePaths } from '@imk/config';
import { publishBundle, type BundleFileInput, type PublishedBundle } from '@imk/fsqueue';
import type { Logger } from '@imk/log';
import { JobIdSchema, producerInfo } from '@imk/protocol';
import './errors.ts';

/** What publishJob writes into job.json when the caller does not say. */
export const BUNDLE_DEFAULTS = { sourceType: 'custom', producer: 'custom-retriever' } as const;

export interface CreateBundleOptions {
  /** The job id, also the folder suffix `job_<id>`. Build one from any text with `makeJobId()`. */
  jobId: string;
  /** `source_type` in job.json (youtube, deemix, local, custom, …). @default BUNDLE_DEFAULTS.sourceType */
  sourceType?: string;
  /** Queue to publish into: a folder name under `<root>/queues/`. @default DEFAULT_QUEUE */
  queue?: string;
  /** Folder holding `queues/`. @default $IMK_ROOT, else the current folder */
  root?: string;
  /** The exact queue folder; wins over `root` and `queue`. */
  queueDir?: string;
  /** Name written in job.json's `producer` block. @default BUNDLE_DEFAULTS.producer */
  producer?: string;
  logger?: Logger;
}

export interface AddFileOptions {
  /** File name inside the bundle. @default audio/video/cover plus the source's extension */
  name?: string;
  /** Move the source into the bundle instead of copying it (falls back to copy across filesystems). @default false */
  move?: boolean;
  /**
   * The folder someone else writes that the source was found in (an inbox, a shared drop folder): the
   * source is copied from a descriptor opened the untrusted way inside it (no link followed), never moved.
   */
  within?: string;
  /**
   * What the source was declared to be where it comes from (another bundle's files[] entry, as "Separate
   * again" copies an archived bundle): the copy must hash to it, else publish() throws SOURCE_CHANGED naming
   * the file and both hashes, and nothing is published. Not with `move`.
   */
  declared?: { sha256: string; bytes?: number };
}

export interface Tags {
  artist?: string | undefined;
  album?: string | undefined;
  title?: string | undefined;
}

/** A job bundle being assembled; nothing touches the queue until `publish()`. */
export interface Bundle {
  readonly jobId: string;
  readonly queueDir: string;
  /** Sets artist / album / title, trimmed and in NFC (undefined and empty values are left out). */
  setTags(tags: Tags): Bundle;
  /** Sets any other job.json field (`youtube`, `validation`, `options`, your own fields, …). */
  set(field: string, value: unknown): Bundle;
  /** Adds the audio file and points `audio_path` at it. */
  addAudio(source: string, options?: AddFileOptions): Bundle;
  /** Adds the video file and points `video_path` at it. */
  addVideo(source: string, options?: AddFileOptions): Bundle;
  /** Adds the cover image and points `cover_path` at it. */
  addCover(source: string, options?: AddFileOptions): Bundle;
  /** Adds any other file, copied (or moved) from `source`. */
  addFile(name: string, source: string, options?: Omit<AddFileOptions, 'name'>): Bundle;
  /** Adds a file written from memory. */
  addData(name: string, data: string | Uint8Array): Bundle;
  /** The job.json that `publish()` would write (before sha256s and `created_at` are filled in). */
  toJob(): Record<string, unknown> & { job_id: string };
  /**
   * Writes `job_<id>.tmp/`, fsyncs, renames it to `job_<id>/`. Throws ImkError `JOB_EXISTS` when the job is
   * already in the queue, `INVALID_JOB` when job.json would not validate (nothing is written then).
   */
  publish(): Promise<PublishedBundle>;
}

/** Starts a job bundle. See docs/retriever-sdk.md. */
export function createBundle(options: CreateBundleOptions): Bundle {
  const parsedId = JobIdSchema.safeParse(options.jobId);
  if (!parsedId.success)
    throw new ImkError(
      'INVALID_JOB_ID',
      `job id "${options.jobId}" is not allowed: ${parsedId.error.issues[0]?.message ?? 'invalid'}; build one with makeJobId()`,
    );
  const queueDir =
    options.queueDir ?? join(resolvePaths(options.root).queues, options.queue ?? DEFAULT_QUEUE);
  const job: Record<string, unknown> & { job_id: string } = {
    job_id: options.jobId,
    source_type: options.sourceType ?? BUNDLE_DEFAULTS.sourceType,
    producer: producerInfo(options.producer ?? BUNDLE_DEFAULTS.producer),
  };
  const files: BundleFileInput[] = [];

  const add = (
    field: string | undefined,
    fallback: string,
    source: string,
    fileOptions: AddFileOptions = {},
  ) => {
    const name = fileOptions.name ?? `${fallback}${extname(source).toLowerCase()}`;
    files.push({
      name,
      source,
      move: fileOptions.move === true,
      ...(fileOptions.within !== undefined && { within: fileOptions.within }),
      ...(fileOptions.declared !== undefined && { declared: fileOptions.declared }),
    });
    if (field) job[field] = name;
  };

  const bundle: Bundle = {
    jobId: options.jobId,
    queueDir,
    setTags(tags) {
      for (const key of ['artist', 'album', 'title'] as const) {
        // One spelling of each letter (NFC): a file name from a Mac spells "ö" as "o" + "¨" (NFD), which the
        // same name typed does not equal (a search, a comparison of artists, the tags written into outputs).
        const value = tags[key]?.trim().normalize('NFC');
        if (value) job[key] = value;
      }
      return bundle;
    },
    set(field, value) {
      if (field === 'job_id')
        throw new ImkError('INVALID_FIELD', 'job_id is fixed by createBundle({ jobId })');
      job[field] = value;
      return bundle;
    },
    addAudio: (source, fileOptions) => (add('audio_path', 'audio', source, fileOptions), bundle),
    addVideo: (source, fileOptions) => (add('video_path', 'video', source, fileOptions), bundle),
    addCover: (source, fileOptions) => (add('cover_path', 'cover', source, fileOptions), bundle),
    addFile: (name, source, fileOptions) => (add(undefined, name, source, { ...fileOptions, name }), bundle),
    addData(name, data) {
      files.push({ name, data });
      return bundle;
    },
    toJob: () => ({ ...job }),
    publish: () => publishBundle({ queueDir, job: { ...job }, files: [...files], logger: options.logger }),
  };
  return bundle;
}
