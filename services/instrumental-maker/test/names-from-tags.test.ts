import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imk, makeRoot, publishV1, readManifest, removeRoot } from './helpers.ts';

// A job.json without artist and title (a bundle made by hand, or by a script that only copies the file) had
// its files named after the job id (`files/audio/tagged_1.flac`) though the song's own tags said who and what
// it is. docs/protocol.md does not forbid reading them: the worker now takes the input's tags (ffprobe) for
// each name job.json left out, and the manifest says so (names_from: "tags"). job.json's names still win.
let root: string;

beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, variants: ['instrumental'], output: { format: 'flac' } });
  const song = (file: string, tags: string[]) =>
    execa('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-ac', '2'],
      ...tags.flatMap((tag) => ['-metadata', tag]),
      join(root, file),
    ]);
  await song('tagged.flac', ['artist=Tag Artist', 'title=Tag Title', 'album=Tag Album']);
  await song('untagged.flac', []);
  await song('deezer.flac', ['artist=Dz Artist', 'title=Dz Title', 'album=Dz Album']);
  const publish = (id: string, file: string, names: Record<string, string> = {}) =>
    publishV1(
      root,
      'other',
      { job_id: id, source_type: 'local', audio_path: 'in.flac', ...names },
      { 'in.flac': join(root, file) },
    );
  await publish('tagged_1', 'tagged.flac');
  await publish('named_1', 'tagged.flac', { artist: 'Job Artist', title: 'Job Title' });
  await publish('untagged_1', 'untagged.flac');
  await earlierDeezerBundle();
  const result = await imk(['run', '--once', '--root', root]);
  expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 4 });
}, 300_000);
afterAll(() => removeRoot(root));

/**
 * A bundle as the earlier Deezer retriever wrote it (services/deemix_retriever/retriever.py and
 * job_producer.py, svidal-nlive/instrumental-maker @80b742a): its _fetch_metadata never asked Deezer, so
 * artist, album and title are "Unknown"; _collect_tracks titled each track by deemix's file name
 * ("Dz Artist - Dz Title"); two tracks are `NN_<file name>` under files/.
 */
async function earlierDeezerBundle(): Promise<void> {
  const dir = join(root, 'queues', 'other', 'job_dz_555_deemix');
  await mkdir(join(dir, 'files'), { recursive: true });
  const names = ['01_Dz Artist - Dz Title.flac', '02_untagged.flac'];
  await copyFile(join(root, 'deezer.flac'), join(dir, 'files', names[0]!));
  await copyFile(join(root, 'untagged.flac'), join(dir, 'files', names[1]!));
  const track = (name: string) => ({
    title: name.slice(3, -'.flac'.length),
    artist: 'Unknown',
    album: 'Unknown',
    duration_sec: 3.0,
    filename: name,
  });
  const job = {
    job_id: 'dz_555_deemix',
    source_type: 'deemix',
    artist: 'Unknown',
    album: 'Unknown',
    title: 'Unknown',
    audio_files: names,
    deemix: { url: 'https://www.deezer.com/album/555', url_type: 'album', job_id: '555', track_count: 2 },
    tracks: names.map(track),
  };
  await writeFile(join(dir, 'job.json'), JSON.stringify(job, null, 2));
}

describe("a job.json without artist and title, and the input's tags", () => {
  it('names and tags the files from the input, and the manifest says where the names came from', async () => {
    const manifest = await readManifest(root, 'tagged_1');
    expect(manifest).toMatchObject({
      artist: 'Tag Artist',
      title: 'Tag Title',
      album: 'Tag Album',
      names_from: 'tags',
    });
    expect(manifest.artifacts.map((a) => a.path)).toContain('files/audio/Tag Artist - Tag Title.flac');
  });

  it("keeps job.json's names when it gives them, and the job id when neither has any", async () => {
    const named = await readManifest(root, 'named_1');
    expect(named).toMatchObject({ artist: 'Job Artist', title: 'Job Title' });
    expect(named).not.toHaveProperty('names_from');
    expect(named.artifacts.map((a) => a.path)).toContain('files/audio/Job Artist - Job Title.flac');
    const untagged = await readManifest(root, 'untagged_1');
    expect(untagged).toMatchObject({ artist: '', title: '' });
    expect(untagged).not.toHaveProperty('names_from');
    expect(untagged.artifacts.map((a) => a.path)).toContain('files/audio/untagged_1.flac');
  });
});

describe('a song of the earlier Deezer retriever\'s bundle (artist and album "Unknown", titled by its file name)', () => {
  // Its songs were published as `Unknown - Dz Artist - Dz Title.flac`, tagged artist "Unknown", album
  // "Unknown": a library sorted by artist and album put every Deezer song in Unknown/Unknown/.
  it("is named and tagged from the file's own tags, and keeps the retriever's names when the file has none", async () => {
    const tagged = await readManifest(root, 'dz_555_deemix');
    expect(tagged).toMatchObject({
      artist: 'Dz Artist',
      title: 'Dz Title',
      album: 'Dz Album',
      names_from: 'tags',
    });
    expect(tagged.artifacts.map((a) => a.path)).toContain('files/audio/Dz Artist - Dz Title.flac');
    const untagged = await readManifest(root, 'dz_555_deemix-2');
    expect(untagged).toMatchObject({ artist: 'Unknown', title: 'untagged' });
    expect(untagged).not.toHaveProperty('names_from');
    expect(untagged.artifacts.map((a) => a.path)).toContain('files/audio/Unknown - untagged.flac');
  });
});

describe('a mix saved of a job whose names came from the tags', () => {
  it('keeps names_from in the job manifest the mix rewrites, and names the mix from the same tags', async () => {
    await publishV1(
      root,
      'other',
      {
        job_id: 'tagged_1_mix',
        source_type: 'remix',
        remix: { of: 'tagged_1', variant: 'my_mix', stems: { bass: 1, drums: 1 } },
      },
      {},
    );
    const result = await imk(['run', '--once', '--root', root]);
    expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 1 });
    const manifest = await readManifest(root, 'tagged_1');
    expect(manifest).toMatchObject({ artist: 'Tag Artist', title: 'Tag Title', names_from: 'tags' });
    expect(manifest.artifacts.find((a) => a.variant === 'my_mix')?.path).toBe(
      'files/audio/Tag Artist - Tag Title (my mix).flac',
    );
  }, 120_000);
});
