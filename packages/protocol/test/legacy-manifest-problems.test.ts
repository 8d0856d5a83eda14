import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacySample } from '@imk/media/legacy-samples';
import {
  describeLeftOut,
  describeOutputProblem,
  describeProblems,
  readOutputManifest,
  validateManifest,
} from '../src/index.ts';

// Manifests of the earlier Python version (../shared/legacy-samples) that are not as it wrote them: an
// artifact no reader can use, a schema_version this imk does not read. Read by the one reader of outputs/.
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-legacy-problems-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
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

  // A schema_version of 300,000 characters was quoted whole: the sync pass's log line, `imk job` and the
  // ledger's reason were each 300 KB long.
  it('a long value is quoted in part: the problem stays a line a person reads', async () => {
    for (const [version, name] of [
      ['Z'.repeat(300_000), 'vlong'],
      [Array.from({ length: 50_000 }, (_, i) => i), 'varray'],
      [{ [`k${'e'.repeat(100_000)}`]: 1 }, 'vobject'],
    ] as const) {
      const read = await readWith(version, name);
      expect(read?.ok).toBe(false);
      if (read?.ok !== false) return;
      const message = read.problems[0]?.message ?? '';
      expect(message).toMatch(/^schema_version .{1,200} is no version of manifest\.json: this imk reads 1 /);
      expect(message).toMatch(/more characters left out/);
      expect(describeOutputProblem(read).length).toBeLessThan(1000);
    }
    // Whatever a problem quotes, the line of each is cut (about 2,000 characters), saying how much was left.
    const line = describeProblems([{ path: 'title', message: `"${'T'.repeat(300_000)}" is not it` }]);
    expect(line.length).toBeLessThan(2100);
    expect(line).toMatch(/^title: "T+… \(\d+ more characters left out\)$/);
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
