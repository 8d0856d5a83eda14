import { basename, extname } from 'node:path';
import { lstatAnySpelling } from '@imk/fs-safe';
import type { Job, Track } from './job.ts';
import { legacyReadNotes } from './legacy-job.ts';

/** Where the earlier version's Deezer retriever put the files of `audio_files` (and their cover). */
export const LEGACY_FILES_DIR = 'files';

/**
 * One song of a bundle, as a job of its own: most bundles are one song (`audio_path`, or a video); a
 * legacy `audio_files` bundle is one song per file. The first song keeps the bundle's `job_id`; the
 * others are `<job_id>-2`, `<job_id>-3`, … (their outputs go to `outputs/<that id>/`).
 */
export interface BundleSong {
  /** 1-based position in the bundle. */
  index: number;
  /** The job with this song's id, audio, tags and (existing) cover. */
  job: Job;
  /** What the user should know about this song's bundle entry (e.g. a missing cover). */
  warnings: string[];
}

/**
 * `path` as it is spelt inside the bundle `dir` (fs-safe's lstatAnySpelling: itself, else any of its parts in
 * the other Unicode normalisation; macOS writes "Bjo\u0308rk.wav" where job.json says "Björk.wav"); undefined
 * when it is in no spelling or cannot be looked at (the bundle's checks then name it).
 */
async function presentAs(dir: string, path: string): Promise<string | undefined> {
  return (await lstatAnySpelling(dir, path).catch(() => undefined))?.path;
}

/**
 * The job with each file it names (audio_path, video_path, cover_path, files[].path) spelt as on disk, so
 * that every reader that joins them to the bundle folder opens the file, whatever normalisation job.json
 * used. Names that are not there stay as they are (the bundle's checks name them).
 */
export async function spellAsOnDisk(dir: string, job: Job): Promise<Job> {
  const spell = async (path: string) => (await presentAs(dir, path)) ?? path;
  const out: Job = { ...job };
  if (job.audio_path !== undefined) out.audio_path = await spell(job.audio_path);
  if (job.video_path !== undefined) out.video_path = await spell(job.video_path);
  if (job.cover_path !== undefined) out.cover_path = await spell(job.cover_path);
  if (job.files !== undefined)
    out.files = await Promise.all(job.files.map(async (file) => ({ ...file, path: await spell(file.path) })));
  return out;
}

/**
 * The tracks[] entry of `file`, audio_files[index]. The earlier Deezer retriever (services/deemix_retriever/
 * job_producer.py, svidal-nlive/instrumental-maker @80b742a) named the file of tracks[i] `<i+1, 2 digits>_
 * <its file name>` when there were several, titled each track by that file name without its extension, and
 * set tracks[i].filename = audio_files[i]. But audio_files skips a track whose file was not downloaded (a
 * track Deezer does not offer there), so from such a gap on, each filename names the next track's file
 * (tracks[2] "Track Three" with "04_Track Four.m4a") and every later song took the tags of the one before.
 * A `NN_` file whose tracks[NN-1] has its title is that track; else the entry naming it, else its position.
 */
function trackFor(job: Job, file: string, index: number): Track | undefined {
  const tracks = job.tracks ?? [];
  const numbered = /^(\d{2,})_(.+)$/.exec(basename(file));
  if (numbered) {
    const byNumber = tracks[Number(numbered[1]) - 1];
    const title = byNumber?.title;
    const stem = basename(numbered[2] ?? '', extname(numbered[2] ?? ''));
    if (typeof title === 'string' && title.normalize('NFC') === stem.normalize('NFC')) return byNumber;
  }
  return (
    tracks.find((track) => track.filename === file) ?? (tracks.length > index ? tracks[index] : undefined)
  );
}

/**
 * The earlier Deezer retriever never asked Deezer for names: its `_fetch_metadata` returned "Unknown" as
 * artist, album and title, and `_collect_tracks` titled each track by its downloaded file's name
 * (services/deemix_retriever/retriever.py, svidal-nlive/instrumental-maker @80b742a). True for a song of such
 * a bundle (no schema_version, `audio_files`, artist and album "Unknown"): its names are guesses, and the
 * file's own tags (deemix tags what it downloads) name it better.
 */
export function namesAreLegacyDeezerGuesses(job: Job): boolean {
  return (
    job.schema_version === undefined &&
    job.audio_files !== undefined &&
    job.artist === LEGACY_DEEZER_UNKNOWN &&
    job.album === LEGACY_DEEZER_UNKNOWN
  );
}
const LEGACY_DEEZER_UNKNOWN = 'Unknown';

function tag(value: string | null | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * A legacy `audio_files` entry is a name under `files/` (where its Deezer retriever wrote them); a name
 * that exists at the bundle's top level is taken from there (spelt as on disk). Pure of opening: only
 * `lstat` and listing folders of the bundle.
 */
export async function audioFilePath(dir: string, name: string): Promise<string> {
  const under = `${LEGACY_FILES_DIR}/${name}`;
  return (await presentAs(dir, under)) ?? (await presentAs(dir, name)) ?? under;
}

/**
 * The cover a bundle names, where it is: beside job.json, or under `files/` in a legacy Deezer bundle.
 * Undefined (with a warning) when it names a file that is not there: the earlier version went on without
 * a cover, and so do we.
 */
export async function resolveCover(
  dir: string,
  job: Job,
): Promise<{ cover: string | undefined; warnings: string[] }> {
  if (job.cover_path === undefined) return { cover: undefined, warnings: [] };
  const candidates = [job.cover_path];
  if (job.audio_files !== undefined) candidates.push(`${LEGACY_FILES_DIR}/${job.cover_path}`);
  for (const candidate of candidates) {
    const spelt = await presentAs(dir, candidate);
    if (spelt !== undefined) return { cover: spelt, warnings: [] };
  }
  return {
    cover: undefined,
    warnings: [
      `cover_path "${job.cover_path}" names a file missing from the bundle; the outputs have no cover`,
    ],
  };
}

/** The songs of a bundle, each a job of its own (see `BundleSong`). */
export async function bundleSongs(dir: string, job: Job): Promise<BundleSong[]> {
  const resolved = await resolveCover(dir, job);
  const { cover } = resolved;
  // What a lenient read of an earlier-version job.json changed (a numeric title, "PASS", …), then the cover.
  const warnings = [...legacyReadNotes(job), ...resolved.warnings];
  const withCover = (j: Job): Job => {
    const out: Job = { ...j };
    if (cover === undefined) delete out.cover_path;
    else out.cover_path = cover;
    return out;
  };
  if (job.audio_path !== undefined || job.video_path !== undefined || !job.audio_files?.length)
    return [{ index: 1, job: withCover(job), warnings }];
  const songs: BundleSong[] = [];
  // A file listed twice (the same name, or two names of one file: `x.mp3` and `files/x.mp3`, or its two
  // Unicode spellings) is one song: made once, the entries after the first said in its warnings. Before,
  // each entry was a song of its own, the same audio separated and published twice (`<id>` and `<id>-2`).
  const byPath = new Map<string, { song: BundleSong; entries: number[] }>();
  for (const [i, name] of job.audio_files.entries()) {
    const audioPath = await audioFilePath(dir, name);
    const same = byPath.get(audioPath);
    if (same) {
      same.entries.push(i);
      continue;
    }
    const track = trackFor(job, name, i);
    const index = songs.length + 1;
    const song: Job = {
      ...job,
      job_id: index === 1 ? job.job_id : `${job.job_id}-${index}`,
      audio_path: audioPath,
      artist: tag(track?.artist) ?? job.artist,
      album: tag(track?.album) ?? job.album,
      title: tag(track?.title) ?? (job.audio_files.length === 1 ? job.title : undefined) ?? fileTitle(name),
    };
    const entry = { song: { index, job: withCover(song), warnings: [...warnings] }, entries: [i] };
    byPath.set(audioPath, entry);
    songs.push(entry.song);
  }
  for (const [path, { song, entries }] of byPath)
    if (entries.length > 1)
      song.warnings.push(
        `job.json lists ${path} ${entries.length} times in audio_files (${entries.map((i) => `audio_files[${i}]`).join(', ')}): it is one song, made once`,
      );
  return songs;
}

function fileTitle(name: string): string {
  return basename(name, extname(name)).replace(/^\d{2}_/, '');
}
