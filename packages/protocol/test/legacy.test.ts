import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacySample, materializeLegacySample } from '@imk/media/legacy-samples';
import { findOutput, listOutputs, readBundle, readOutputManifest } from '../src/index.ts';

// What the earlier Python version wrote (../shared/legacy-samples), read by the one reader of outputs/ and
// of bundles: every reader (sync, ledger, dashboard, CLI, worker) goes through these functions.
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-legacy-protocol-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('outputs written by the earlier version', () => {
  it('reads every legacy manifest, nulls included, with its artifacts and tags', async () => {
    const outputs = join(root, 'outputs');
    for (const id of ['pyout_audio_001', 'pyout_video_002', 'pyout_inst_003'])
      await materializeLegacySample(`outputs/${id}`, join(outputs, id));
    const folders = await listOutputs(outputs);
    expect(folders.map((f) => f.jobId)).toEqual(['pyout_audio_001', 'pyout_inst_003', 'pyout_video_002']);

    const audio = await readOutputManifest(join(outputs, 'pyout_audio_001'));
    expect(audio?.ok).toBe(true);
    if (!audio?.ok) return;
    expect(audio.manifest).toMatchObject({ jobId: 'pyout_audio_001', legacy: true, artist: 'Py Artist' });
    expect(audio.manifest.artifacts).toHaveLength(7);
    expect(audio.manifest.artifacts[3]).toEqual({
      kind: 'stems',
      variant: 'bass',
      label: 'Bass stem',
      path: 'files/stems/bass.wav',
      codec: 'pcm',
      container: 'wav',
      duration_sec: undefined,
      sha256: undefined,
      bytes: undefined,
    });
    const video = await readOutputManifest(join(outputs, 'pyout_video_002'));
    expect(video?.ok && video.manifest.artifacts[0]).toMatchObject({
      kind: 'video',
      variant: 'source',
      codec: undefined,
    });
  });

  it('lists folders named by its ids with spaces or non-ASCII letters; those that are no job id here, read-only', async () => {
    // Its consumer took job_id as any text and wrote outputs/<job_id>/: they were skipped without a word.
    const outputs = join(root, 'outputs-names');
    // Ids with spaces and non-ASCII letters are job ids here too (its consumer took any text).
    const ids = ['Café del Mar 01', 'My Song (live) + more', 'Björk_ÄÖ', '日本語の歌', 'plain_id'];
    // Spaces around its job_id named the folder too (" My Song "): those were left out without a word. They
    // are no job id here (nothing of ours is published under them): listed read-only.
    // So were its names with a backslash (it ran on Linux: "AC\\DC - Song" is one name there) and of spaces
    // only: those were left out without a word too. Listed read-only.
    const readOnly = [' padded', 'My Song ', ' x y ', 'bad\\name', 'AC\\DC - Song', '   ', ' '];
    for (const name of [...ids, ...readOnly]) {
      await materializeLegacySample('outputs/pyout_inst_003', join(outputs, name));
      const file = join(outputs, name, 'manifest.json');
      const doc = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      await writeFile(file, JSON.stringify({ ...doc, job_id: name }));
    }
    const listed = await listOutputs(outputs);
    expect(listed.map((f) => [f.jobId, f.readOnly])).toEqual(
      [...ids.map((n) => [n, false]), ...readOnly.map((n) => [n, true])].sort((a, b) =>
        String(a[0]) < String(b[0]) ? -1 : 1,
      ),
    );
    for (const name of [...ids, ...readOnly]) {
      expect((await findOutput(outputs, name))?.readOnly, name).toBe(readOnly.includes(name));
      const read = await readOutputManifest(join(outputs, name));
      expect(read?.ok && read.manifest.jobId, name).toBe(name);
    }
    // Never a hidden name, a control character or a path (nor a name that is not there).
    for (const name of ['.replaced', '..\\outputs-names', 'a\nb', '../outputs-names/plain_id', '', 'padded'])
      expect(await findOutput(outputs, name), name).toBeUndefined();
  });

  it('still names the file and field of a manifest that is really wrong', async () => {
    // (An artifact path with ".." was this test's example: one such artifact is now left out, the job kept;
    // see "one unusable artifact" below. A manifest without its artifacts list is still refused.)
    const text = await readFile(legacySample('outputs/pyout_inst_003/manifest.json'), 'utf8');
    const broken = JSON.parse(text) as { artifacts: unknown };
    broken.artifacts = 'files/audio/x.m4a';
    const { writeFile, mkdir } = await import('node:fs/promises');
    const dir = join(root, 'broken', 'bad_job');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(broken));
    const result = await readOutputManifest(dir);
    expect(result?.ok).toBe(false);
    if (result && !result.ok) expect(result.problems[0]?.path).toBe('artifacts');
  });
});

describe('names with a backslash, which the earlier version kept from titles (it ran on Linux)', () => {
  it('a legacy manifest and a legacy job.json naming one are read; with schema_version, "/" only', async () => {
    const { cp, rename, writeFile } = await import('node:fs/promises');
    const text = await readFile(legacySample('outputs/pyout_inst_003/manifest.json'), 'utf8');
    const dir = join(root, 'backslash', 'outputs', 'pyout_inst_003');
    await materializeLegacySample('outputs/pyout_inst_003', dir);
    // Its sanitize_filename dropped only "/" and NUL: a title "AC\DC" stayed in the name.
    const name = 'files/audio/AC\\DC - Only Inst.m4a';
    await rename(join(dir, 'files/audio/Py Deezer - Only Inst.m4a'), join(dir, name));
    const legacy = JSON.parse(text) as { artist: string; artifacts: { path: string }[] };
    legacy.artist = 'AC\\DC';
    legacy.artifacts[0]!.path = name;
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(legacy));
    const read = await readOutputManifest(dir);
    expect(read?.ok && read.manifest.artifacts.map((a) => a.path)).toEqual([name]);

    const v1 = join(root, 'backslash', 'outputs', 'v1_job');
    await cp(dir, v1, { recursive: true });
    await writeFile(
      join(v1, 'manifest.json'),
      JSON.stringify({ ...legacy, schema_version: 1, job_id: 'v1_job' }),
    );
    const refused = await readOutputManifest(v1);
    expect(refused?.ok).toBe(false);
    if (refused && !refused.ok)
      expect(refused.problems).toContainEqual({
        path: 'artifacts.0.path',
        message: `"${name}" contains a backslash; use "/" between folders`,
      });

    const bundle = join(root, 'backslash', 'job_leg_wav_001');
    await materializeLegacySample('bundles/job_leg_wav_001', bundle);
    await rename(join(bundle, 'a.wav'), join(bundle, 'AC\\DC - Sine A.wav'));
    const job = {
      job_id: 'leg_wav_001',
      source_type: 'custom',
      artist: 'AC\\DC',
      audio_path: 'AC\\DC - Sine A.wav',
    };
    await writeFile(join(bundle, 'job.json'), JSON.stringify(job));
    expect(await readBundle(bundle)).toMatchObject({ ok: true, job: { audio_path: 'AC\\DC - Sine A.wav' } });
    // A backslash is no way out of the bundle: "..\x" is a name inside it, looked up as such.
    await writeFile(join(bundle, 'job.json'), JSON.stringify({ ...job, audio_path: '..\\a.wav' }));
    expect(await readBundle(bundle)).toMatchObject({
      ok: false,
      problems: [
        { path: 'audio_path', message: '..\\a.wav is named in job.json but missing from the bundle' },
      ],
    });
    await writeFile(join(bundle, 'job.json'), JSON.stringify({ ...job, schema_version: 1 }));
    expect(await readBundle(bundle)).toMatchObject({
      ok: false,
      problems: [
        {
          path: 'audio_path',
          message: '"AC\\DC - Sine A.wav" contains a backslash; use "/" between folders',
        },
      ],
    });
  });
});

// A tool that edited the earlier version's manifest (or a hand) can leave a number as a string, a title that
// is a number, "true" for a flag, a youtube block of another shape: one such optional fact made the whole
// manifest invalid, and the job vanished from `imk jobs`, the ledger and sync.
describe('an earlier-version manifest whose optional facts have other types', () => {
  it('is read, each fact as what it says when it can be and as absent otherwise', async () => {
    const sample = JSON.parse(
      await readFile(legacySample('outputs/pyout_audio_001/manifest.json'), 'utf8'),
    ) as { artifacts: Record<string, unknown>[] } & Record<string, unknown>;
    const edited = {
      ...sample,
      title: 1999,
      album: { name: 'x' },
      processed_at: 20261202,
      stems_generated: 'true',
      stems_preserved: 'yes please',
      youtube: { video_id: 5, url: [] },
      validation: 'pass',
      artifacts: sample.artifacts.map((a, i) => ({
        ...a,
        duration_sec: i === 0 ? '5.0' : i === 1 ? 'about five' : a.duration_sec,
        codec: i === 0 ? 44 : a.codec,
        sha256: i === 0 ? false : a.sha256,
        label: i === 0 ? ['Instrumental'] : a.label,
      })),
    };
    const dir = join(root, 'edited', 'pyout_audio_001');
    await materializeLegacySample('outputs/pyout_audio_001', dir);
    await writeFile(
      join(dir, 'manifest.json'),
      `\uFEFF${JSON.stringify(edited, null, 2).replace(/\n/g, '\r\n')}`,
    );
    const read = await readOutputManifest(dir);
    expect(read?.ok, JSON.stringify(read)).toBe(true);
    if (!read?.ok) return;
    expect(read.manifest).toMatchObject({ jobId: 'pyout_audio_001', title: '1999', artist: 'Py Artist' });
    expect(read.manifest.album).toBeUndefined();
    expect(read.manifest.artifacts).toHaveLength(7);
    expect(read.manifest.artifacts[0]).toMatchObject({
      path: 'files/audio/Py Artist - Py Song.m4a',
      duration_sec: 5,
      codec: '44',
      sha256: undefined,
      label: undefined,
    });
    expect(read.manifest.artifacts[1]!.duration_sec).toBeUndefined();
    expect(read.manifest.document.manifest).toMatchObject({ stems_generated: true });
    expect((await listOutputs(join(root, 'edited'))).map((f) => f.jobId)).toEqual(['pyout_audio_001']);
  });

  // Its job.json's numeric job_id is read as text (the earlier consumer used any Python value); its manifest
  // with the same job_id was refused ("job_id: expected string"), and the job vanished from every listing.
  it.each([
    [1999, '1999'],
    [20261202.5, '20261202.5'],
    [true, 'true'],
  ])(
    'reads a job_id written as %o as its text (%s), as a job.json of the earlier version is',
    async (id, text) => {
      const sample = JSON.parse(
        await readFile(legacySample('outputs/pyout_inst_003/manifest.json'), 'utf8'),
      ) as Record<string, unknown>;
      const outputs = join(root, `numeric-id-${text}`);
      const dir = join(outputs, text);
      await materializeLegacySample('outputs/pyout_inst_003', dir);
      await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...sample, job_id: id }, null, 2));
      const read = await readOutputManifest(dir);
      expect(read?.ok, JSON.stringify(read)).toBe(true);
      if (!read?.ok) return;
      expect(read.manifest).toMatchObject({ jobId: text, legacy: true, title: 'Only Inst' });
      expect((await listOutputs(outputs)).map((f) => f.jobId)).toEqual([text]);
    },
  );

  it('is still refused, naming the field, without a job_id', async () => {
    // (Without an artifact path it was refused too: that artifact alone is now left out, see above.)
    const dir = join(root, 'broken', 'pyout_x');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify({ artifacts: [{ kind: 'audio', path: 'files/audio/a.m4a' }] }),
    );
    const read = await readOutputManifest(dir);
    expect(read?.ok).toBe(false);
    if (read?.ok !== false) return;
    expect(read.problems.map((p) => p.path)).toContain('job_id');
  });
});
