import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '@imk/fs-safe';
import { createLogger } from '@imk/log';
import { runCleanup } from '@imk/ops';
import { legacySample, materializeLegacySample } from '@imk/media/legacy-samples';
import { imk, jobDetail, makeRoot, makeSong, readManifest, removeRoot } from './helpers.ts';

// The earlier Python version's own bundles (../shared/legacy-samples, media regenerated) and its example
// sidecar, processed by one `imk run --once`, as a user moving over would.
let root: string;
let run: { exitCode?: number; stdout: unknown; all?: unknown };
// demucs is never installed by tests; a path that does not exist makes sure of it on any machine.
const env = { IMK_DEMUCS: '/nonexistent/demucs' };

async function bundle(queue: string, name: string, into = root): Promise<string> {
  const dir = join(into, 'queues', queue, name);
  await materializeLegacySample(`bundles/${name}`, dir);
  return dir;
}

beforeAll(async () => {
  root = await makeRoot({ concurrency: 2, pollMs: 100, retry: { maxAttempts: 3, backoffMs: 100 } });
  await bundle('other', 'job_leg_wav_001');
  await bundle('youtube_audio', 'job_leg_m4a_002');
  await bundle('youtube_video', 'job_yt_LEGACYvid01_video');
  await bundle('other', 'job_leg_missing_cover_006');
  await bundle('other', 'job_dz_12345_deemix');
  // Its Deezer retriever's album shape: several files under files/, tags in tracks[].
  const album = join(root, 'queues', 'other', 'job_dz_album_deemix');
  await materializeLegacySample('bundles/job_dz_12345_deemix', album);
  await makeSong(join(album, 'files', '01_First.m4a'), 3, 1);
  await makeSong(join(album, 'files', '02_Second.m4a'), 3, 2);
  const job = JSON.parse(await readFile(join(album, 'job.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(
    join(album, 'job.json'),
    JSON.stringify({
      ...job,
      job_id: 'dz_album_deemix',
      title: 'The Album',
      audio_files: ['01_First.m4a', '02_Second.m4a'],
      tracks: [
        {
          title: 'First',
          artist: 'Deezer Artist',
          album: 'The Album',
          duration_sec: 3,
          filename: '01_First.m4a',
        },
        { title: 'Second', artist: 'Guest', album: 'The Album', duration_sec: 3, filename: '02_Second.m4a' },
      ],
    }),
  );
  // Its example sidecar beside "My Song.m4a": model htdemucs (not installed), keep_stems [D, B, O], mix.
  const song = join(root, 'queues', 'other', 'job_my_song');
  await materializeLegacySample('bundles/job_leg_m4a_002', song);
  await copyFile(join(song, 'b.m4a'), join(song, 'My Song.m4a'));
  await copyFile(legacySample('My Song.stems.yml'), join(song, 'My Song.stems.yml'));
  await writeFile(
    join(song, 'job.json'),
    JSON.stringify({
      job_id: 'my_song',
      source_type: 'custom',
      artist: 'Me',
      title: 'My Song',
      audio_path: 'My Song.m4a',
    }),
  );
  // A sidecar in the earlier schema's other shapes (a codec it allowed that we do not make, a quoted
  // number) beside a job.json with a numeric title and source_type null, as its producers wrote them.
  const shapes = join(root, 'queues', 'other', 'job_leg_shapes');
  await materializeLegacySample('bundles/job_leg_m4a_002', shapes);
  await writeFile(
    join(shapes, 'b.stems.yml'),
    'codec: alac\nsample_rate: "32000"\nmix:\n  target_lufs: "-16"\n',
  );
  await writeFile(
    join(shapes, 'job.json'),
    JSON.stringify({
      job_id: 'leg_shapes',
      source_type: null,
      artist: 'Me',
      title: 1999,
      audio_path: 'b.m4a',
    }),
  );
  run = await imk(['run', '--once', '--root', root], { env });
}, 400_000);

afterAll(() => removeRoot(root));

describe('bundles and sidecars of the earlier version', () => {
  it('processes every one of them', () => {
    expect(run.exitCode, String(run.all)).toBe(0);
    expect(JSON.parse(String(run.stdout))).toMatchObject({ ok: true, failed: 0, rejected: 0 });
  });

  it('a missing cover is a warning in the manifest, and the job goes on', async () => {
    const manifest = await readManifest(root, 'leg_missing_cover_006');
    expect(manifest.warnings).toContain(
      'cover_path "nonexistent.jpg" names a file missing from the bundle; the outputs have no cover',
    );
    expect(manifest.artifacts.some((a) => a.kind === 'audio' && a.variant === 'instrumental')).toBe(true);
  });

  it('a video bundle publishes the source video bit-identical (video/source) and the instrumental video', async () => {
    const manifest = await readManifest(root, 'yt_LEGACYvid01_video');
    const source = manifest.artifacts.find((a) => a.kind === 'video' && a.variant === 'source')!;
    expect(source).toMatchObject({
      label: 'Source video',
      path: 'files/video/Legacy Channel - Legacy Video Title (source).mp4',
    });
    const archived = join(root, 'queues', 'youtube_video', 'succeeded');
    const { readdir } = await import('node:fs/promises');
    const [folder] = await readdir(archived);
    const original = await sha256File(join(archived, folder!, 'video.mp4'));
    expect(source.sha256).toBe(original);
    expect(await sha256File(join(root, 'outputs', 'yt_LEGACYvid01_video', source.path))).toBe(original);
    expect(manifest.artifacts.some((a) => a.kind === 'video' && a.variant === 'instrumental')).toBe(true);
  });

  it('a Deezer bundle is one song per file: <id>, then <id>-2, tagged from tracks[]', async () => {
    const one = await readManifest(root, 'dz_12345_deemix');
    expect(one).toMatchObject({ artist: 'Deezer Artist', album: 'Deezer Album', title: 'Track One' });
    expect(one.input.path).toBe('files/Track One.m4a');
    const first = await readManifest(root, 'dz_album_deemix');
    const second = await readManifest(root, 'dz_album_deemix-2');
    expect([first.title, first.artist, first.input.path]).toEqual([
      'First',
      'Deezer Artist',
      'files/01_First.m4a',
    ]);
    expect([second.title, second.artist, second.input.path]).toEqual([
      'Second',
      'Guest',
      'files/02_Second.m4a',
    ]);
    expect(second.artifacts[0]!.path).toBe('files/audio/Guest - Second.m4a');
    expect((await jobDetail(root, 'dz_album_deemix-2')).job.state).toBe('succeeded');
  });

  it('its example sidecar: builtin instead of the missing htdemucs (said), mix loudness, keep_stems as the instrumental', async () => {
    const manifest = await readManifest(root, 'my_song');
    expect(manifest.engine.name).toBe('builtin');
    expect(manifest.warnings.join('\n')).toMatch(
      /separation engine "demucs" \(model htdemucs\) named by My Song\.stems\.yml is not available .*builtin engine was used instead/,
    );
    expect(manifest.options).toMatchObject({
      target_lufs: -14,
      true_peak: -1,
      two_pass_loudness: true,
      output_format: 'flac',
      keep_stems: [],
    });
    const instrumental = manifest.artifacts.find((a) => a.variant === 'instrumental')!;
    expect(instrumental.path).toBe('files/audio/Me - My Song.flac');
    expect(instrumental.loudness?.integrated_lufs).toBeCloseTo(-14, 0);
    expect(manifest.artifacts.some((a) => a.kind === 'stems')).toBe(false);
    expect(String(run.all)).toMatch(/builtin engine was used instead/);
  });
});

describe('an earlier-version sidecar and job.json in shapes it allowed', () => {
  it('the job is made, with a warning naming each field and what was used instead', async () => {
    const manifest = await readManifest(root, 'leg_shapes');
    expect(manifest).toMatchObject({ title: '1999', source_type: 'unknown' });
    expect(manifest.options).toMatchObject({ output_format: 'flac', target_lufs: -16 });
    const instrumental = manifest.artifacts.find((a) => a.variant === 'instrumental')!;
    expect(instrumental.path).toBe('files/audio/Me - 1999.flac');
    expect(instrumental.sample_rate).toBe(32000);
    expect(manifest.warnings).toEqual(
      expect.arrayContaining([
        'job.json title: 1999 (as the earlier version wrote it) was read as "1999"',
        'job.json source_type: null (as the earlier version wrote it) was read as "unknown"',
        'b.stems.yml: sample_rate: "32000" is text; the number 32000 was used',
        'b.stems.yml: mix.target_lufs: "-16" is text; the number -16 was used',
        expect.stringMatching(/^b\.stems\.yml: codec: "alac" is not made here; flac was used instead/),
      ]),
    );
  });
});

/**
 * What the earlier project's NAS sync (svidal-nlive/instrumental-maker @80b742a,
 * services/nas_sync_service/manifest_processor.py + syncer.py) relies on in our outputs: it globs
 * `<outputs>/<job>/manifest.json`, json.loads it, and for each entry of `artifacts` takes the first route whose
 * `kind` and `variant` (when the route names them) equal the artifact's; it logs `label`, copies
 * `<job dir>/<path>` and, LocalBackend/rsync alike, keeps the file's own name inside the route's folder.
 * Routes below are its shipped shape (legacy-samples/nas-sync.legacy-routes.yaml).
 */
const LEGACY_ROUTES = [
  { kind: 'audio', variant: 'instrumental', to: 'audio/Instrumental' },
  { kind: 'audio', variant: 'no_drums', to: 'audio/NoDrums' },
  { kind: 'audio', variant: 'drums_only', to: 'audio/DrumsOnly' },
  { kind: 'video', variant: 'source', to: 'video/YouTube' },
  { kind: 'stems', to: 'stems' },
];

// A song the earlier version had made, fetched again under the same id: its output folder went to
// outputs/.replaced/ like a re-run of ours, and imk cleanup deleted it after 30 days.
describe('an output of the earlier version replaced by a new job of the same id', () => {
  // A root of its own: its job's files are named like those of job_yt_LEGACYvid01_video (the same video),
  // which the earlier project's sync, read below, would deliver to one path.
  let root: string;
  beforeAll(async () => {
    root = await makeRoot({ pollMs: 100 });
    // The earlier version made yt_LEGACYvid01_audio once (its output, as its ManifestGenerator wrote it);
    // the user fetches the same video again: our YouTube ids are its ids, so the new job has that id too.
    const earlier = join(root, 'outputs', 'yt_LEGACYvid01_audio');
    await materializeLegacySample('outputs/pyout_inst_003', earlier);
    const old = JSON.parse(await readFile(join(earlier, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(
      join(earlier, 'manifest.json'),
      JSON.stringify({ ...old, job_id: 'yt_LEGACYvid01_audio' }, null, 2),
    );
    await bundle('youtube_audio', 'job_yt_LEGACYvid01_audio', root);
    const again = await imk(['run', '--once', '--root', root], { env });
    expect(again.exitCode, String(again.all)).toBe(0);
  }, 400_000);
  afterAll(() => removeRoot(root));

  it('is kept for good, said in the new manifest, and imk cleanup never removes it', async () => {
    const manifest = await readManifest(root, 'yt_LEGACYvid01_audio');
    expect(manifest.schema_version).toBe(1);
    const aside = join(root, 'outputs', '.replaced');
    const kept = (await readdir(aside)).filter((name) => name.startsWith('yt_LEGACYvid01_audio@'));
    expect(kept).toEqual([expect.stringMatching(/^yt_LEGACYvid01_audio@\d{8}T\d{6}Z\.earlier-version$/)]);
    expect(manifest.warnings).toContain(
      `outputs/yt_LEGACYvid01_audio/ held the earlier instrumental-maker's outputs of this job id; they are kept, never removed by imk cleanup, in outputs/.replaced/${kept[0]}/`,
    );
    const earlier = join(aside, kept[0]!);
    expect(JSON.parse(await readFile(join(earlier, 'manifest.json'), 'utf8'))).toMatchObject({
      job_id: 'yt_LEGACYvid01_audio',
      youtube: null,
    });
    // Long past retention, beside a replaced output of ours as old: only ours goes.
    const ours = join(aside, 'leg_wav_001@20200101T000000Z');
    await mkdir(join(ours, 'files'), { recursive: true });
    await writeFile(join(ours, 'manifest.json'), '{}');
    // imk cleanup's own run, a year and more from now (ages are taken from ctime, which no test can set back).
    const later = Date.now() + 400 * 24 * 3600 * 1000;
    await runCleanup({ root, logger: createLogger('test', { level: 'silent' }), now: later });
    expect(await readdir(aside)).toEqual(kept);
    expect(await readFile(join(earlier, 'files', 'audio', 'Py Deezer - Only Inst.m4a'))).toBeInstanceOf(
      Buffer,
    );
  });
});

describe("the earlier project's NAS sync reading our outputs", () => {
  it('finds every artifact by kind/variant/label/path, and each file keeps a name of its own in its folder', async () => {
    const { readdir } = await import('node:fs/promises');
    const jobs = (await readdir(join(root, 'outputs'))).filter((n) => !n.startsWith('.'));
    expect(jobs.length).toBeGreaterThanOrEqual(7);
    const destinations = new Map<string, { from: string; sha: string }>();
    let video = 0;
    for (const job of jobs) {
      const manifest = JSON.parse(await readFile(join(root, 'outputs', job, 'manifest.json'), 'utf8')) as {
        job_id: string;
        artifacts: Record<string, unknown>[];
      };
      expect(manifest.job_id).toBe(job);
      for (const artifact of manifest.artifacts) {
        const { kind, variant, label, path } = artifact as Record<
          'kind' | 'variant' | 'label' | 'path',
          string
        >;
        for (const value of [kind, variant, label, path])
          expect(typeof value, `${job}: ${path}`).toBe('string');
        expect(['audio', 'video', 'stems']).toContain(kind);
        expect(path).toMatch(/^files\/(audio|video|stems)\/[^/]+$/);
        const sha = await sha256File(join(root, 'outputs', job, path));
        const route = LEGACY_ROUTES.find((r) => r.kind === kind && (!r.variant || r.variant === variant));
        // Its routes never named our instrumental video (the earlier version made none): skipped, with a warning.
        if (!route) {
          expect([kind, variant]).toEqual(['video', 'instrumental']);
          continue;
        }
        if (kind === 'video') video++;
        const to = join(route.to, path.split('/').pop()!);
        // Two files meet under one name only as a duplicate job's linked outputs: the same bytes.
        const other = destinations.get(to);
        expect(other?.sha ?? sha, `${job}: ${path} and ${other?.from} both go to ${to}`).toBe(sha);
        destinations.set(to, { from: `${job}: ${path}`, sha });
      }
    }
    expect(video).toBe(1);
    expect([...destinations.keys()].some((k) => k.startsWith('audio/Instrumental/'))).toBe(true);
  });
});

describe('engine.fallback: false', () => {
  it('fails the job at once with a clear reason, not retried', async () => {
    const strict = await makeRoot({
      pollMs: 100,
      engine: { fallback: false },
      retry: { maxAttempts: 3, backoffMs: 100 },
    });
    try {
      const dir = join(strict, 'queues', 'other', 'job_leg_wav_001');
      await materializeLegacySample('bundles/job_leg_wav_001', dir);
      await copyFile(legacySample('My Song.stems.yml'), join(dir, 'a.stems.yml'));
      const result = await imk(['run', '--once', '--root', strict], { env });
      expect(JSON.parse(String(result.stdout))).toMatchObject({ failed: 1 });
      const detail = await jobDetail(strict, 'leg_wav_001');
      expect(detail.job.state).toBe('failed');
      expect(detail.job.attempts).toBe(1);
      expect(detail.errors[0]!.message).toMatch(
        /"demucs" \(model htdemucs\) named by a\.stems\.yml is not available/,
      );
    } finally {
      await removeRoot(strict);
    }
  }, 120_000);
});
