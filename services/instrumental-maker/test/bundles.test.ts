import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '@imk/fs-safe';
import { probeMedia, readStemManifest } from '@imk/media';
import { imkInProcess } from '../../../packages/cli/test/in-process.ts';
import {
  decodedDuration,
  folderNames,
  imk,
  makeCover,
  makeRoot,
  makeSong,
  makeVideo,
  publishLegacy,
  publishV1,
  readManifest,
  removeRoot,
  jobDetail,
  jobDetailFromCli,
} from './helpers.ts';

// One worker run over five bundles: legacy, v1 with stems, legacy with a per-song sidecar, a video, and a
// corrupt file published before a good one. `imk run --once` must finish them all, exit non-zero because
// one failed, and leave outputs a user can play.
let root: string;
let run: { exitCode?: number; stdout: unknown; all?: unknown };
const SECONDS = 4;

beforeAll(async () => {
  root = await makeRoot({
    concurrency: 2,
    pollMs: 100,
    leaseMs: 15_000,
    retry: { maxAttempts: 2, backoffMs: 100, maxBackoffMs: 1000 },
  });
  const media = join(root, 'media');
  await import('node:fs/promises').then((fs) => fs.mkdir(media));
  await Promise.all([
    makeSong(join(media, 'a.m4a'), SECONDS, 0),
    makeSong(join(media, 'b.m4a'), SECONDS, 1),
    makeSong(join(media, 'c.flac'), SECONDS, 2, 'flac'),
    makeSong(join(media, 'd.m4a'), SECONDS, 3),
    makeCover(join(media, 'cover.jpg')),
  ]);
  await makeVideo(join(media, 'video.mp4'), join(media, 'd.m4a'), SECONDS);

  await publishLegacy(
    root,
    'other',
    { job_id: 'bad_audio', source_type: 'local', artist: 'Broken', title: 'Noise', audio_path: 'audio.m4a' },
    // A fixed corrupt file, not random bytes: an m4a's `ftyp` box and then filler, no `moov`. Random bytes
    // were read by ffprobe, now and then, as some stream (once as h263 video), which made this test flaky.
    {
      'audio.m4a': Buffer.concat([
        Buffer.from('000000186674797069736f6d', 'hex'),
        Buffer.alloc(50_000, 0x5a),
      ]),
    },
  );
  await publishLegacy(
    root,
    'youtube_audio',
    {
      job_id: 'yt_abc123_audio',
      source_type: 'youtube',
      artist: 'Some Channel',
      album: 'YTDL',
      title: 'Legacy Song',
      audio_path: 'audio.m4a',
      cover_path: 'cover.jpg',
      youtube: {
        video_id: 'abc123',
        url: 'https://www.youtube.com/watch?v=abc123',
        channel: 'Some Channel',
        title: 'Legacy Song',
        online_duration_sec: SECONDS,
      },
      validation: { duration_checks: 'pass', details: {} },
    },
    { 'audio.m4a': join(media, 'a.m4a'), 'cover.jpg': join(media, 'cover.jpg') },
  );
  await publishV1(
    root,
    'other',
    {
      job_id: 'v1_stems',
      source_type: 'custom',
      artist: 'V One',
      album: 'Album',
      title: 'Stems Please',
      audio_path: 'song.m4a',
      options: { keep_stems: true },
    },
    { 'song.m4a': join(media, 'b.m4a') },
  );
  await publishLegacy(
    root,
    'other',
    { job_id: 'with_sidecar', source_type: 'local', artist: 'Side', title: 'Car', audio_path: 'song.flac' },
    {
      'song.flac': join(media, 'c.flac'),
      'song.yaml': Buffer.from(
        'stems: VD\ncodec: flac\nbit_depth: 16\ntarget_lufs: -16\ntrue_peak: -1.5\ntwo_pass: true\n',
      ),
    },
  );
  // Not a job at all: no audio_path or video_path. The queue rejects it; the ledger must show it.
  await publishLegacy(root, 'other', { job_id: 'no_media', source_type: 'local', title: 'Nothing' }, {});
  await publishLegacy(
    root,
    'youtube_video',
    {
      job_id: 'yt_vid_video',
      source_type: 'youtube',
      artist: 'Chan',
      album: 'YTDL',
      title: 'Clip',
      video_path: 'video.mp4',
      cover_path: 'cover.jpg',
    },
    { 'video.mp4': join(media, 'video.mp4'), 'cover.jpg': join(media, 'cover.jpg') },
  );
  run = await imk(['run', '--once', '--root', root]);
}, 240_000);

afterAll(() => removeRoot(root));

async function expectPlayableVariants(jobId: string, input: string): Promise<void> {
  const manifest = await readManifest(root, jobId);
  const inputDuration = (await probeMedia(input)).duration_sec!;
  expect(manifest.input.duration_sec).toBeCloseTo(inputDuration, 1);
  for (const artifact of manifest.artifacts) {
    const file = join(root, 'outputs', jobId, artifact.path);
    expect(await sha256File(file)).toBe(artifact.sha256);
    expect((await stat(file)).size).toBe(artifact.bytes);
    expect(artifact.loudness).toBeDefined();
    if (artifact.kind !== 'audio') continue;
    const duration = await decodedDuration(file);
    expect(Math.abs(duration - inputDuration)).toBeLessThanOrEqual(0.05);
  }
}

describe('imk run --once over legacy, v1, sidecar, video and corrupt bundles', () => {
  it('exits non-zero because one job failed, and reports the others as succeeded', () => {
    expect(run.exitCode, String(run.all)).toBe(1);
    expect(JSON.parse(String(run.stdout))).toMatchObject({ ok: false, succeeded: 4, failed: 1, rejected: 1 });
  });

  it('turns a legacy bundle into the files users know, with the legacy fields copied into the manifest', async () => {
    const manifest = await readManifest(root, 'yt_abc123_audio');
    expect(manifest.artifacts.map((a) => a.path).sort()).toEqual([
      'files/audio/Some Channel - Legacy Song (drums only).m4a',
      'files/audio/Some Channel - Legacy Song (no drum).m4a',
      'files/audio/Some Channel - Legacy Song.m4a',
    ]);
    expect(manifest).toMatchObject({
      source_type: 'youtube',
      album: 'YTDL',
      youtube: { video_id: 'abc123' },
      validation: { duration_checks: 'pass' },
    });
    expect(manifest.engine.name).toBe('builtin');
    expect(Object.keys(manifest.timings_sec)).toEqual(
      expect.arrayContaining(['decode', 'separate', 'mix', 'encode', 'manifest']),
    );
    await expectPlayableVariants('yt_abc123_audio', join(root, 'media', 'a.m4a'));
    const tagged = await probeMedia(
      join(root, 'outputs', 'yt_abc123_audio', 'files/audio/Some Channel - Legacy Song (no drum).m4a'),
    );
    expect(tagged.tags).toMatchObject({
      artist: 'Some Channel',
      album: 'YTDL',
      title: 'Legacy Song (no drum)',
    });
    expect(tagged.has_cover).toBe(true);
  });

  it('keeps stems for a v1 bundle that asks: four flac files and a stem.mp4 in NI stream order', async () => {
    const manifest = await readManifest(root, 'v1_stems');
    expect(manifest.stems_preserved).toBe(true);
    const stems = manifest.artifacts
      .filter((a) => a.kind === 'stems')
      .map((a) => a.path)
      .sort();
    expect(stems).toEqual([
      'files/stems/V One - Stems Please (bass).flac',
      'files/stems/V One - Stems Please (drums).flac',
      'files/stems/V One - Stems Please (other).flac',
      'files/stems/V One - Stems Please (vocals).flac',
      'files/stems/V One - Stems Please.stem.mp4',
    ]);
    const stemFile = join(root, 'outputs', 'v1_stems', 'files/stems/V One - Stems Please.stem.mp4');
    expect((await probeMedia(stemFile)).streams.filter((s) => s.type === 'audio')).toHaveLength(5);
    expect((await readStemManifest(stemFile))?.stems.map((s) => s.name)).toEqual([
      'Drums',
      'Bass',
      'Other',
      'Vocals',
    ]);
    await expectPlayableVariants('v1_stems', join(root, 'media', 'b.m4a'));
  });

  it('applies the per-song sidecar: flac, 16-bit, the stems V and D, loudness at the target', async () => {
    const manifest = await readManifest(root, 'with_sidecar');
    expect(manifest.options).toMatchObject({
      output_format: 'flac',
      bit_depth: 16,
      keep_stems: ['vocals', 'drums'],
      target_lufs: -16,
      true_peak: -1.5,
      two_pass_loudness: true,
    });
    const audio = manifest.artifacts.filter((a) => a.kind === 'audio');
    expect(audio.map((a) => a.path)).toContain('files/audio/Side - Car.flac');
    for (const artifact of audio) expect(artifact.codec).toBe('flac');
    const instrumental = audio.find((a) => a.variant === 'instrumental')!;
    expect(instrumental.loudness!.integrated_lufs!).toBeGreaterThan(-17.5);
    expect(instrumental.loudness!.integrated_lufs!).toBeLessThan(-14.5);
    expect(
      manifest.artifacts
        .filter((a) => a.kind === 'stems')
        .map((a) => a.variant)
        .sort(),
    ).toEqual(['drums', 'stem_mp4', 'vocals']);
    await expectPlayableVariants('with_sidecar', join(root, 'media', 'c.flac'));
  });

  it('puts the instrumental under the picture of a video bundle without re-encoding the picture', async () => {
    const manifest = await readManifest(root, 'yt_vid_video');
    const video = manifest.artifacts.find((a) => a.kind === 'video')!;
    expect(video.path).toBe('files/video/Chan - Clip.mp4');
    const out = await probeMedia(join(root, 'outputs', 'yt_vid_video', video.path));
    const source = await probeMedia(join(root, 'media', 'video.mp4'));
    expect(out.video?.codec).toBe('h264');
    expect(out.video?.width).toBe(source.video?.width);
    expect(out.audio?.codec).toBe('aac');
    expect(Math.abs(out.duration_sec! - source.duration_sec!)).toBeLessThan(0.1);
    await expectPlayableVariants('yt_vid_video', join(root, 'media', 'video.mp4'));
  });

  it('fails the corrupt file with a clear error file, in the ledger and the CLI, and keeps the bundle', async () => {
    const failed = await folderNames(join(root, 'queues', 'other', 'failed'));
    expect(failed).toHaveLength(1);
    const error = JSON.parse(
      await readFile(join(root, 'queues', 'other', 'failed', failed[0]!, 'imk-error.json'), 'utf8'),
    );
    expect(error).toMatchObject({ stage: 'decode', retryable: false, attempt: 1 });
    expect(error.message).toMatch(/audio\.m4a/);
    expect(error.message).toMatch(/MEDIA_UNREADABLE/);
    // The CLI's views of it (through main() in this process: imk job --json below, run as a process, and the
    // run itself are the processes of this file).
    const shown = await imkInProcess('job', 'bad_audio', '--root', root);
    expect(shown.stdout).toMatch(/failed/);
    expect(shown.stdout).toMatch(/\[decode\].*MEDIA_UNREADABLE/);
    const list = await imkInProcess('jobs', '--status', 'failed', '--json', '--root', root);
    expect((JSON.parse(String(list.stdout)) as { job_id: string }[]).map((j) => j.job_id)).toEqual([
      'bad_audio',
    ]);
    expect(await folderNames(join(root, 'outputs'))).not.toContain('bad_audio');
  });

  it('notes a rejected bundle in the ledger with the reason', async () => {
    const detail = await jobDetail(root, 'no_media');
    expect(detail.job).toMatchObject({ state: 'rejected', queue: 'other' });
    expect(detail.job.last_error).toMatch(/audio_path: a job needs audio_path, video_path or audio_files/);
  });

  it('leaves no partial output folder, and `imk retry` puts the failed job back to ready', async () => {
    expect((await folderNames(join(root, 'outputs'))).filter((n) => n.startsWith('.'))).toEqual([]);
    const retry = await imkInProcess('retry', 'bad_audio', '--root', root);
    expect(retry.exitCode, retry.stdout).toBe(0);
    expect(await folderNames(join(root, 'queues', 'other'))).toContain('job_bad_audio');
    const detail = await jobDetail(root, 'bad_audio');
    expect(detail.job.state).toBe('ready');
    expect(detail.errors[0]).toMatchObject({ stage: 'decode', attempt: 1 });
  });

  it('records history, stage timings and artifacts in the ledger, and rebuilds them from the folders', async () => {
    const before = await jobDetailFromCli(root, 'v1_stems');
    expect(before.events.map((e: { state: string }) => e.state)).toEqual(['running', 'succeeded']);
    expect(before.stages.map((s: { stage: string }) => s.stage)).toEqual(
      expect.arrayContaining(['decode', 'separate', 'mix', 'encode', 'manifest', 'publish']),
    );
    const rebuilt = await imkInProcess('ledger', 'rebuild', '--json', '--root', root);
    expect(JSON.parse(String(rebuilt.stdout))).toMatchObject({ jobs: 6, manifests: 4 });
    const after = await jobDetail(root, 'v1_stems');
    expect(after.job).toMatchObject({ state: 'succeeded', input_sha256: before.job.input_sha256 });
    // `imk job --json` adds where each artifact is on disk (on_disk) to what the ledger recorded.
    const listed = before.artifacts as { on_disk?: string }[];
    expect(listed.map((a) => a.on_disk)).toEqual(listed.map(() => 'file'));
    expect(after.artifacts).toEqual(listed.map(({ on_disk: _onDisk, ...recorded }) => recorded));
  });
});
