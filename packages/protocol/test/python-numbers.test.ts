import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleSongs, readBundle, readOutputManifest } from '../src/index.ts';
import { legacyReadNotes } from '../src/legacy-job.ts';

// The earlier version wrote its documents with Python's json.dump, which writes a float it has not got
// (float("nan"), an infinite ratio) as the bare words NaN, Infinity and -Infinity (allow_nan=True is its
// default), and its consumer's json.load read them. JSON.parse refuses them: such a bundle was rejected as
// "not valid JSON" and such a manifest was unreadable.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-python-numbers-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function bundle(id: string, text: string): Promise<string> {
  const folder = join(dir, `job_${id}`);
  await mkdir(folder);
  await writeFile(join(folder, 'a.wav'), 'x');
  await writeFile(join(folder, 'job.json'), text);
  return folder;
}

describe("the earlier version's documents holding Python's NaN, Infinity, -Infinity", () => {
  it('a job.json is read, each such value absent, and the job names each field and word', async () => {
    // As Python's json.dump(indent=2) writes it; the words inside strings are text and stay so.
    const text = `{
  "job_id": "py_nan",
  "source_type": "youtube",
  "artist": "NaN",
  "title": "Infinity and -Infinity",
  "audio_path": "a.wav",
  "youtube": {"video_id": "abc", "online_duration_sec": NaN},
  "validation": {"duration_checks": "pass", "details": {"online": Infinity, "ratio": -Infinity, "list": [1, NaN]}}
}`;
    const folder = await bundle('py_nan', text);
    const result = await readBundle(folder);
    expect(result).toMatchObject({
      ok: true,
      job: {
        artist: 'NaN',
        title: 'Infinity and -Infinity',
        youtube: { online_duration_sec: null },
        validation: { details: { online: null, ratio: null, list: [1, null] } },
      },
    });
    if (!result.ok) return;
    const expected = [
      'youtube.online_duration_sec: NaN',
      'validation.details.online: Infinity',
      'validation.details.ratio: -Infinity',
      'validation.details.list.1: NaN',
    ].map(
      (entry) =>
        `job.json ${entry} (as the earlier version's Python writes a number it has not got) was read as absent (null)`,
    );
    expect(legacyReadNotes(result.job)).toEqual(expect.arrayContaining(expected));
    // The song's warnings carry them to the manifest and the log.
    const [song] = await bundleSongs(folder, result.job);
    expect(song?.warnings).toEqual(expect.arrayContaining(expected));
  });

  it('a Deezer job.json with a track length NaN is read', async () => {
    const folder = await bundle(
      'py_dz',
      '{"job_id": "py_dz", "source_type": "deemix", "audio_files": ["a.wav"], "tracks": [{"title": "T", "duration_sec": NaN, "filename": "a.wav"}]}',
    );
    expect(await readBundle(folder)).toMatchObject({ ok: true, job: { tracks: [{ duration_sec: null }] } });
  });

  it('a manifest.json with an artifact length NaN is read', async () => {
    const out = join(dir, 'outputs', 'py_m');
    await mkdir(join(out, 'files'), { recursive: true });
    await writeFile(join(out, 'files', 'a.wav'), 'x');
    await writeFile(
      join(out, 'manifest.json'),
      '{"job_id": "py_m", "source_type": "custom", "artifacts": [{"kind": "audio", "variant": "instrumental", "label": "Instrumental", "path": "files/a.wav", "duration_sec": NaN}]}',
    );
    const result = await readOutputManifest(out);
    expect(result).toMatchObject({ ok: true });
  });

  it('a job.json of ours (schema_version) with NaN is still invalid JSON, naming the file', async () => {
    const folder = await bundle(
      'py_v1',
      '{"schema_version": 1, "job_id": "py_v1", "source_type": "custom", "audio_path": "a.wav", "options": {"target_lufs": NaN}}',
    );
    const result = await readBundle(folder);
    expect(result).toMatchObject({ ok: false, problems: [{ path: 'job.json' }] });
    if (!result.ok) expect(result.problems[0]?.message).toContain('job.json is not valid JSON');
  });

  it('other invalid JSON in an earlier-version job.json is still refused', async () => {
    const folder = await bundle(
      'py_bad',
      '{"job_id": "py_bad", "source_type": "custom", "audio_path": "a.wav", "x": NaN,}',
    );
    const result = await readBundle(folder);
    expect(result).toMatchObject({ ok: false, problems: [{ path: 'job.json' }] });
  });
});
