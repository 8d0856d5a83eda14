import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacySample, materializeLegacySample } from '@imk/media/legacy-samples';
import {
  describeLeftOut,
  describeOutputProblem,
  findOutput,
  listOutputs,
  readBundle,
  readOutputManifest,
  validateManifest,
} from '../src/index.ts';

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

describe('an earlier-version manifest with one unusable artifact', () => {
  // Its sync program skipped an artifact without a path ("Artifact has no path") and sent the rest; one
  // such artifact made the whole manifest invalid here, and the job vanished from imk jobs, the ledger,
  // the dashboard and sync. Every unusable path or kind, and an entry that is no object, is one class.
  const unusable: [string, unknown][] = [
    ['path null', { path: null }],
    ['path empty', { path: '' }],
    ['path absent', { path: undefined }],
    ['path absolute', { path: '/etc/passwd' }],
    ['path with ..', { path: '../other_job/files/audio/x.m4a' }],
    ['path a number', { path: 42 }],
    ['kind null', { kind: null }],
    ['kind a number', { kind: 3 }],
    ['kind empty', { kind: '' }],
  ];
  it('an artifact with several unusable fields is one artifact left out, its fields named together', async () => {
    const dir = join(root, 'one-bad', 'both', 'pyout_both');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify({ job_id: 'pyout_both', artifacts: [{ kind: null, variant: 'bass', path: '' }] }),
    );
    const read = await readOutputManifest(dir);
    expect(read?.ok && read.manifest.leftOut).toEqual([
      {
        path: 'artifacts.0',
        message: expect.stringMatching(
          /^kind: .*; path: .*; artifact 0 \(bass\) is left out \(not listed as a file, never synced\)$/,
        ),
      },
    ]);
  });
  it.each(unusable)(
    '%s: keeps the job and its good artifacts, and names the bad one',
    async (name, change) => {
      const text = await readFile(legacySample('outputs/pyout_audio_001/manifest.json'), 'utf8');
      const doc = JSON.parse(text) as { artifacts: Record<string, unknown>[] };
      Object.assign(doc.artifacts[4]!, change); // stems, drums
      const dir = join(root, 'one-bad', name.replace(/\W+/g, '_'), 'pyout_audio_001');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(doc));
      const read = await readOutputManifest(dir);
      expect(read?.ok).toBe(true);
      if (!read?.ok) return;
      expect(read.manifest.artifacts.map((a) => a.variant)).toEqual([
        'instrumental',
        'no_drums',
        'drums_only',
        'bass',
        'other',
        'vocals',
      ]);
      const field = Object.keys(change as object)[0]!;
      expect(read.manifest.leftOut.map((p) => p.path)).toEqual([`artifacts.4.${field}`]);
      const said = describeLeftOut(read.manifest, join(dir, 'manifest.json'));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain(`pyout_audio_001/manifest.json: artifacts[4].${field}: `);
      expect(said[0]).toMatch(/artifact 4 \(.*\) is left out \(not listed as a file, never synced\)/);
    },
  );

  it('an entry that is no object is left out the same way; unknown variants and kinds are read as written', async () => {
    const dir = join(root, 'one-bad', 'entries', 'pyout_entries');
    await mkdir(dir, { recursive: true });
    const good = { kind: 'audio', variant: 'instrumental', path: 'files/audio/a.m4a' };
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify({
        job_id: 'pyout_entries',
        artifacts: [
          null,
          'files/audio/a.m4a',
          good,
          { kind: 'lyrics', variant: 'karaoke_v2', path: 'files/lyrics/a.lrc' },
          { kind: 'audio', variant: 7, label: null, path: 'files/audio/b.m4a' },
        ],
      }),
    );
    const read = await readOutputManifest(dir);
    expect(read?.ok).toBe(true);
    if (!read?.ok) return;
    expect(read.manifest.leftOut.map((p) => p.path)).toEqual(['artifacts.0', 'artifacts.1']);
    // Its routes compared kind and variant with ==: an unknown one is routed by a route without them only.
    expect(read.manifest.artifacts.map((a) => [a.kind, a.variant])).toEqual([
      ['audio', 'instrumental'],
      ['lyrics', 'karaoke_v2'],
      ['audio', '7'],
    ]);
  });
});

describe('schema_version', () => {
  async function readWith(version: unknown, name: string, legacyShape = true) {
    const text = await readFile(legacySample('outputs/pyout_inst_003/manifest.json'), 'utf8');
    const doc = JSON.parse(text) as Record<string, unknown>;
    const dir = join(root, 'versions', name);
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify(legacyShape ? { ...doc, schema_version: version } : { schema_version: version }),
    );
    return readOutputManifest(dir);
  }

  it('a version this imk does not read is one problem saying so, not the fields version 1 would miss', async () => {
    const newer = await readWith(7, 'v7');
    expect(newer?.ok).toBe(false);
    if (newer?.ok !== false) return;
    expect(newer.problems).toEqual([
      { path: 'schema_version', message: 'schema_version 7 is newer than this imk reads (1); upgrade imk' },
    ]);
    expect(describeOutputProblem(newer)).toMatch(
      /v7\/manifest\.json is not a valid manifest: schema_version 7 is newer than this imk reads \(1\); upgrade imk$/,
    );
    for (const [version, name] of [
      [0, 'v0'],
      [-1, 'vneg'],
      [1.5, 'vfrac'],
      [null, 'vnull'],
      ['one', 'vtext'],
    ] as const) {
      const read = await readWith(version, name);
      expect(read?.ok).toBe(false);
      if (read?.ok !== false) return;
      expect(read.problems).toHaveLength(1);
      expect(read.problems[0]?.message).toBe(
        `schema_version ${JSON.stringify(version)} is no version of manifest.json: this imk reads 1 (what it writes) and manifests without schema_version (the earlier instrumental-maker's); if the earlier version wrote this file, remove schema_version from it`,
      );
    }
  });

  it('"1" as text is version 1 (a tool that rewrote the file), read as ours', () => {
    const ours = {
      job_id: 'j1',
      source_type: 'local',
      artist: 'A',
      album: 'B',
      title: 'T',
      processed_at: '2026-11-21T10:00:00Z',
      artifacts: [
        {
          kind: 'audio',
          variant: 'instrumental',
          label: 'Instrumental',
          path: 'files/audio/A - T.m4a',
          codec: 'aac',
          container: 'm4a',
          duration_sec: 1,
          sha256: 'b'.repeat(64),
          bytes: 10,
        },
      ],
      stems_generated: true,
      stems_preserved: false,
      input: { sha256: 'a'.repeat(64), duration_sec: 1 },
      engine: { name: 'builtin', version: '1', params: {} },
      timings_sec: {},
      warnings: [],
    };
    for (const version of [1, '1']) {
      const result = validateManifest({ ...ours, schema_version: version });
      expect(result).toMatchObject({ ok: true, value: { legacy: false, manifest: { schema_version: 1 } } });
    }
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
