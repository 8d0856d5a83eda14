import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacySample, materializeLegacySample } from '@imk/media/legacy-samples';
import { bundleSongs, readBundle, readOutputManifest, validateJob } from '../src/index.ts';

// Bundles the earlier Python version wrote (../shared/legacy-samples), read by the one reader of bundles
// (readBundle, bundleSongs, validateJob): the inbox, the retrievers' queues and the worker go through it.
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-legacy-bundles-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('bundles written by the earlier version', () => {
  it.each(['job_leg_wav_001', 'job_leg_m4a_002', 'job_yt_LEGACYvid01_audio', 'job_yt_LEGACYvid01_video'])(
    '%s is accepted',
    async (name) => {
      const dir = join(root, 'queues', name);
      await materializeLegacySample(`bundles/${name}`, dir);
      const result = await readBundle(dir);
      expect(result).toMatchObject({ ok: true });
    },
  );

  it('accepts youtube: null and validation: null in job.json', () => {
    const result = validateJob({
      job_id: 'x1',
      source_type: 'custom',
      audio_path: 'a.wav',
      youtube: null,
      validation: null,
    });
    expect(result.ok).toBe(true);
  });

  it('accepts null facts inside youtube and validation, in job.json and in its manifests (a video yt-dlp gives no uploader)', async () => {
    // Its retriever wrote `channel = metadata.get('uploader', 'Unknown')`: null when yt-dlp says null,
    // and its dataclasses let any of these be None. Before, the bundle was rejected and the finished
    // output refused by every reader (not listed, never synced) for a fact that is only copied.
    const facts: Record<string, Record<string, unknown>> = {
      youtube: { video_id: null, url: null, channel: null, title: null, online_duration_sec: null },
      validation: { duration_checks: null, details: null },
    };
    for (const [object, fields] of Object.entries(facts))
      for (const field of Object.keys(fields)) {
        const job = JSON.parse(
          await readFile(legacySample('bundles/job_leg_m4a_002/job.json'), 'utf8'),
        ) as Record<string, Record<string, unknown>>;
        job[object] = { ...(job[object] ?? {}), [field]: null };
        expect(validateJob(job), `job.json ${object}.${field}: null`).toMatchObject({ ok: true });

        const manifest = JSON.parse(
          await readFile(legacySample('outputs/pyout_video_002/manifest.json'), 'utf8'),
        ) as Record<string, unknown>;
        manifest[object] = { ...(job[object] ?? {}), [field]: null };
        const dir = join(root, 'null-facts', `${object}_${field}`);
        const { writeFile, mkdir } = await import('node:fs/promises');
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
        const read = await readOutputManifest(dir);
        expect(read?.ok, `manifest ${object}.${field}: null: ${JSON.stringify(read)}`).toBe(true);
      }
  });

  it('a null tag or path (an empty path too) is no tag or path, as its consumer read them; not with schema_version', async () => {
    const { writeFile } = await import('node:fs/promises');
    const dir = join(root, 'queues', 'job_leg_wav_nulls');
    await materializeLegacySample('bundles/job_leg_wav_001', dir);
    // Its JobBundle written whole (dataclasses.asdict): every Optional it lacked is null.
    const job = {
      job_id: 'leg_wav_001',
      source_type: 'custom',
      artist: null,
      album: null,
      title: 'Sine A',
      audio_path: 'a.wav',
      video_path: null,
      cover_path: '',
      youtube: null,
      validation: null,
    };
    await writeFile(join(dir, 'job.json'), JSON.stringify(job));
    const result = await readBundle(dir);
    expect(result).toMatchObject({ ok: true, job: { audio_path: 'a.wav', title: 'Sine A' } });
    if (result.ok)
      for (const key of ['artist', 'album', 'video_path', 'cover_path'])
        expect(result.job, key).not.toHaveProperty(key);
    expect(validateJob({ ...job, cover_path: null }).ok).toBe(true);
    // The Deezer retriever's lists, null in a one-song bundle written whole: they were rejected.
    const deezerNulls = { ...job, audio_files: null, tracks: null, deemix: null };
    expect(validateJob(deezerNulls)).toMatchObject({ ok: true });
    // Ours (schema_version) say what they mean: a null there is a mistake, named.
    const v1 = validateJob({ ...job, schema_version: 1, cover_path: null });
    expect(v1.ok).toBe(false);
    if (!v1.ok)
      expect(v1.problems.map((p) => p.path)).toEqual(['artist', 'album', 'video_path', 'cover_path']);
  });

  it('reads what its producers wrote in other shapes (a string duration, "PASS", a numeric title, source_type null), saying what was used', async () => {
    const dir = join(root, 'queues', 'job_leg_m4a_shapes');
    await materializeLegacySample('bundles/job_leg_m4a_002', dir);
    const sample = JSON.parse(await readFile(join(dir, 'job.json'), 'utf8')) as Record<string, unknown>;
    const job = {
      ...sample,
      job_id: 1999,
      title: 1999,
      album: 2001.5,
      source_type: null,
      youtube: { video_id: 12345, url: 'https://youtu.be/x', online_duration_sec: ' 212.5 ', title: 'T' },
      validation: { duration_checks: 'PASS', details: 'within 2 s' },
    };
    await writeFile(join(dir, 'job.json'), JSON.stringify(job));
    const result = await readBundle(dir);
    expect(result, JSON.stringify(result)).toMatchObject({
      ok: true,
      job: {
        job_id: '1999',
        title: '1999',
        album: '2001.5',
        source_type: 'unknown',
        youtube: { video_id: '12345', online_duration_sec: 212.5 },
        validation: { duration_checks: 'pass', details: { value: 'within 2 s' } },
      },
    });
    if (!result.ok) return;
    const [song] = await bundleSongs(dir, result.job);
    // Every change is in the song's warnings (so in its manifest), with the value as written.
    expect(song!.warnings).toEqual(
      expect.arrayContaining([
        'job.json title: 1999 (as the earlier version wrote it) was read as "1999"',
        'job.json source_type: null (as the earlier version wrote it) was read as "unknown"',
        'job.json youtube.online_duration_sec: " 212.5 " (as the earlier version wrote it) was read as 212.5',
        'job.json validation.duration_checks: "PASS" (as the earlier version wrote it) was read as "pass"',
        'job.json validation.details: "within 2 s" (as the earlier version wrote it) was read as {"value":"within 2 s"}',
      ]),
    );
    // What cannot be read as what it says is absent, named with its value; the job is still made.
    const unreadable = validateJob({
      ...job,
      youtube: { online_duration_sec: '3:32', channel: ['a'] },
      validation: { duration_checks: true },
    });
    expect(unreadable).toMatchObject({
      ok: true,
      value: { youtube: { online_duration_sec: null, channel: null }, validation: { duration_checks: null } },
    });
    if (unreadable.ok)
      expect(unreadable.value.legacy_read_notes).toEqual(
        expect.arrayContaining([
          'job.json youtube.online_duration_sec: "3:32" (as the earlier version wrote it) was read as absent',
          'job.json validation.duration_checks: true (as the earlier version wrote it) was read as absent',
        ]),
      );
    // Ours (schema_version) are not guessed at: the field is named.
    const v1 = validateJob({
      ...job,
      schema_version: 1,
      job_id: 'x1',
      title: 'T',
      album: 'A',
      source_type: 'custom',
    });
    expect(v1.ok).toBe(false);
    if (!v1.ok) expect(v1.problems.map((p) => p.path)).toContain('youtube.online_duration_sec');
  });

  // Its consumer read only the id, tags and paths (any Python value) and never read tracks[], created_at or
  // producer: a bundle whose title was a list, whose Deezer tracks[] had a number as a title or a length as
  // text, or that carried a Python isoformat() time without an offset, was rejected whole here.
  it('reads a list as a tag, other shapes of tracks[], and fields of ours it never read, as absent or as what they say', async () => {
    const dir = join(root, 'queues', 'job_dz_shapes');
    await materializeLegacySample('bundles/job_dz_12345_deemix', dir);
    const sample = JSON.parse(await readFile(join(dir, 'job.json'), 'utf8')) as Record<string, unknown>;
    const job = {
      ...sample,
      title: ['Track', 'One'],
      artist: { name: 'Deezer Artist' },
      created_at: '2025-01-01T10:00:00.123456',
      producer: 'its-own-script',
      tracks: [{ title: 12, artist: 'Deezer Artist', duration_sec: '5.0', filename: 'Track One.m4a' }, null],
    };
    await writeFile(join(dir, 'job.json'), JSON.stringify(job));
    const result = await readBundle(dir);
    expect(result, JSON.stringify(result)).toMatchObject({
      ok: true,
      job: { tracks: [{ title: '12', duration_sec: 5, filename: 'Track One.m4a' }, {}] },
    });
    if (!result.ok) return;
    expect(result.job.title).toBeUndefined();
    expect(result.job.artist).toBeUndefined();
    expect(result.job.created_at).toBeUndefined();
    const [song] = await bundleSongs(dir, result.job);
    expect(song!.job.title).toBe('12');
    expect(song!.warnings).toEqual(
      expect.arrayContaining([
        'job.json title: ["Track","One"] (as the earlier version wrote it) was read as absent',
        'job.json created_at: "2025-01-01T10:00:00.123456" (as the earlier version wrote it) was read as absent (the earlier version never read it)',
        'job.json tracks.0.title: 12 (as the earlier version wrote it) was read as "12"',
        'job.json tracks.0.duration_sec: "5.0" (as the earlier version wrote it) was read as 5',
        'job.json tracks.1: null (as the earlier version wrote it) was read as {} (no tags)',
      ]),
    );
    // Ours (schema_version) are not guessed at: the field is named.
    const v1 = validateJob({ ...job, schema_version: 1 });
    expect(v1.ok).toBe(false);
    if (!v1.ok)
      expect(v1.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['title', 'created_at']));
  });

  it('a missing cover is no rejection: the song goes on without it, with a warning', async () => {
    const dir = join(root, 'queues', 'job_leg_missing_cover_006');
    await materializeLegacySample('bundles/job_leg_missing_cover_006', dir);
    const result = await readBundle(dir);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [song] = await bundleSongs(dir, result.job);
    expect(song!.job.cover_path).toBeUndefined();
    expect(song!.warnings).toEqual([
      'cover_path "nonexistent.jpg" names a file missing from the bundle; the outputs have no cover',
    ]);
  });

  it('a Deezer bundle (audio_files under files/, tracks[]) is one song per file', async () => {
    const dir = join(root, 'queues', 'job_dz_12345_deemix');
    await materializeLegacySample('bundles/job_dz_12345_deemix', dir);
    const result = await readBundle(dir);
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    const songs = await bundleSongs(dir, result.job);
    expect(songs.map((s) => [s.job.job_id, s.job.audio_path, s.job.title, s.job.cover_path])).toEqual([
      ['dz_12345_deemix', 'files/Track One.m4a', 'Track One', 'files/cover.jpg'],
    ]);

    // Several files: the first keeps the id, the others are <id>-2, <id>-3, tags from tracks[].
    const many = {
      ...result.job,
      audio_files: ['01_A.m4a', '02_B.m4a', '03_C.m4a'],
      tracks: [
        { title: 'Song A', artist: 'X', album: 'Al', filename: '01_A.m4a' },
        { title: 'Song C', artist: 'Z', album: 'Al', filename: '03_C.m4a' },
        { title: 'Song B', artist: 'Y', album: 'Al', filename: '02_B.m4a' },
      ],
    };
    const three = await bundleSongs(dir, many);
    expect(three.map((s) => [s.job.job_id, s.job.audio_path, s.job.artist, s.job.title])).toEqual([
      ['dz_12345_deemix', 'files/01_A.m4a', 'X', 'Song A'],
      ['dz_12345_deemix-2', 'files/02_B.m4a', 'Y', 'Song B'],
      ['dz_12345_deemix-3', 'files/03_C.m4a', 'Z', 'Song C'],
    ]);
  });

  it('a Deezer album with a track that was not downloaded: each file is tagged as its own track, not the one before', async () => {
    // What its Deezer retriever wrote (services/deemix_retriever/job_producer.py, svidal-nlive/instrumental-maker
    // @80b742a, run with four tracks of which the third's file was missing): audio_files skips the third, and
    // tracks[i].filename = audio_files[i], so tracks[2] names the fourth file and tracks[3] none. Each song
    // after the gap took the tags and file name of the one before it ("Sigur Rós - Track Three.m4a" held the
    // fourth song); its title was the file name without extension (retriever.py _collect_tracks).
    const dir = join(root, 'queues', 'job_dz_777_deemix');
    await materializeLegacySample('bundles/job_dz_12345_deemix', dir);
    const names = ['01_Café Olé.m4a', '02_Ünïcödé – Track.m4a', '04_日本語の歌.m4a', '05_Last.m4a'];
    for (const name of names) await copyFile(join(dir, 'files', 'Track One.m4a'), join(dir, 'files', name));
    const track = (title: string, filename: string | null) => ({
      title,
      artist: 'Sigur Rós',
      album: 'Ágætis byrjun',
      duration_sec: 4.0,
      filename,
    });
    const written = {
      job_id: 'dz_777_deemix',
      source_type: 'deemix',
      artist: 'Sigur Rós',
      album: 'Ágætis byrjun',
      title: 'Ágætis byrjun',
      audio_files: names,
      cover_path: 'cover.jpg',
      deemix: { url: 'https://www.deezer.com/album/777', url_type: 'album', job_id: '777', track_count: 5 },
      tracks: [
        track('Café Olé', names[0]!),
        track('Ünïcödé – Track', names[1]!),
        track('Track Three', names[2]!),
        track('日本語の歌', names[3]!),
        track('Last', null),
      ],
    };
    // json.dumps: ASCII, every other letter escaped.
    const text = JSON.stringify(written, null, 2).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
    await writeFile(join(dir, 'job.json'), text);
    const result = await readBundle(dir);
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    const songs = await bundleSongs(dir, result.job);
    expect(songs.map((s) => [s.job.job_id, s.job.audio_path, s.job.title])).toEqual([
      ['dz_777_deemix', 'files/01_Café Olé.m4a', 'Café Olé'],
      ['dz_777_deemix-2', 'files/02_Ünïcödé – Track.m4a', 'Ünïcödé – Track'],
      ['dz_777_deemix-3', 'files/04_日本語の歌.m4a', '日本語の歌'],
      ['dz_777_deemix-4', 'files/05_Last.m4a', 'Last'],
    ]);
  });

  it('a file audio_files lists twice (by the same name, under files/ or not, in either spelling) is one song', async () => {
    // Each entry was a song of its own: the same audio separated and published twice (<id> and <id>-2).
    const dir = join(root, 'queues', 'job_dz_twice');
    await materializeLegacySample('bundles/job_dz_12345_deemix', dir);
    await copyFile(join(dir, 'files', 'Track One.m4a'), join(dir, 'files', 'Café.m4a'));
    const read = await readBundle(dir);
    expect(read).toMatchObject({ ok: true });
    if (!read.ok) return;
    const twice = {
      ...read.job,
      audio_files: ['Track One.m4a', 'Café.m4a', 'Track One.m4a', 'files/Track One.m4a', 'Cafe\u0301.m4a'],
      tracks: [],
    };
    // readBundle accepts it (every entry names a file that is there) …
    await writeFile(join(dir, 'job.json'), JSON.stringify(twice));
    expect(await readBundle(dir)).toMatchObject({ ok: true });
    // … and makes two songs, the entries after the first of each file said in that song's warnings.
    const songs = await bundleSongs(dir, twice);
    expect(songs.map((s) => [s.index, s.job.job_id, s.job.audio_path])).toEqual([
      [1, 'dz_12345_deemix', 'files/Track One.m4a'],
      [2, 'dz_12345_deemix-2', 'files/Café.m4a'],
    ]);
    expect(songs[0]!.warnings).toContain(
      'job.json lists files/Track One.m4a 3 times in audio_files (audio_files[0], audio_files[2], audio_files[3]): it is one song, made once',
    );
    expect(songs[1]!.warnings).toContain(
      'job.json lists files/Café.m4a 2 times in audio_files (audio_files[1], audio_files[4]): it is one song, made once',
    );
  });

  it('rejects an audio_files entry that leaves the bundle, naming the field', () => {
    const result = validateJob({ job_id: 'x2', source_type: 'deemix', audio_files: ['../a.m4a'] });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.path).toBe('audio_files.0');
  });
});
