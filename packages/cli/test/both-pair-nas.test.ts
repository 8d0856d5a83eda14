import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { materializeLegacySample, legacySample } from '@imk/media/legacy-samples';
import { IMK } from './imk-bin.ts';
import {
  generateMedia,
  startMediaServer,
  type MediaServer,
} from '../../../services/youtube-retriever/test/media-server.ts';

// One song fetched in mode "both" is two jobs (yt_<id>_audio, yt_<id>_video). Delivered by the earlier
// version's routes (its own sample, the roots made local folders), each file of the song reaches the NAS once:
// the video job publishes the video only, the audio job the audio variants and stems. Before, the video job
// published them too, and nas-sync (which never overwrites) put a second copy beside each: "Title (2).m4a".
// Both shapes of the pair: the earlier version's bundles, and ours from `imk fetch --mode both` (yt-dlp on a
// loopback page).
let root: string;
let mediaDir: string;
let server: MediaServer;

const imk = (args: string[]) =>
  execa(IMK, [...args, '--root', root], {
    reject: false,
    stdin: 'ignore',
    all: true,
    env: { IMK_LOG_LEVEL: 'warn', IMK_DEMUCS: '/nonexistent/demucs' },
  });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-both-pair-'));
  mediaDir = await mkdtemp(join(tmpdir(), 'imk-both-media-'));
  await generateMedia(mediaDir);
  server = await startMediaServer(mediaDir);
  await mkdir(join(root, 'config'), { recursive: true });
  await writeFile(
    join(root, 'config', 'instrumental-maker.yaml'),
    stringify({ concurrency: 1, pollMs: 100, stems: { keep: true } }),
  );
  await writeFile(join(root, 'config', 'operations.yaml'), stringify({ diskGuard: { enabled: false } }));
  const nas = join(root, 'nas');
  const routes = (await readFile(legacySample('nas-sync.legacy-routes.yaml'), 'utf8')).replaceAll(
    '/mnt/nas/',
    `${nas}/`,
  );
  await writeFile(join(root, 'config', 'nas-sync.yaml'), routes);
  for (const kind of ['audio', 'video'])
    await materializeLegacySample(
      `bundles/job_yt_LEGACYvid01_${kind}`,
      join(root, 'queues', `youtube_${kind}`, `job_yt_LEGACYvid01_${kind}`),
    );
}, 120_000);

afterAll(async () => {
  await server.close();
  await Promise.all([root, mediaDir].map((dir) => rm(dir, { recursive: true, force: true })));
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('a song fetched in mode both, synced by routes of the earlier version', () => {
  it('reaches the NAS once: each variant, stem and the source video one file, none numbered "(2)"', async () => {
    const fetched = await imk(['fetch', server.url('video.mp4'), '--mode', 'both']);
    expect(fetched.exitCode, String(fetched.all)).toBe(0);
    const ids = String(fetched.stdout).split('\n');
    expect(ids).toHaveLength(2);
    const run = await imk(['run', '--once']);
    expect(JSON.parse(String(run.stdout) || '{}'), String(run.all)).toMatchObject({
      succeeded: 4,
      failed: 0,
    });
    // yt-dlp's audio job is the video's own AAC stream (extracted, not encoded again): the same samples, so
    // the song is separated once for the pair (the ledger, as `imk job` shows it: one ok, one cache_hit).
    const separated = async (id: string) => {
      const detail = JSON.parse(String((await imk(['job', id, '--json'])).stdout)) as {
        stages: { stage: string; outcome: string }[];
      };
      return detail.stages.find((row) => row.stage === 'separate')?.outcome;
    };
    expect([await separated(ids[0]!), await separated(ids[1]!)].sort()).toEqual(['cache_hit', 'ok']);
    const sync = await imk(['sync', '--once']);
    expect(sync.exitCode, String(sync.all)).toBe(0);

    const delivered = await filesUnder(join(root, 'nas'));
    expect(delivered.filter((f) => /\(2\)/.test(f))).toEqual([]);
    const song = (name: string) => [
      `audio/DrumsOnly/${name} (drums only).m4a`,
      `audio/Instrumental/${name}.m4a`,
      `audio/NoDrums/${name} (no drum).m4a`,
      `stems/${name} (bass).flac`,
      `stems/${name} (drums).flac`,
      `stems/${name} (other).flac`,
      `stems/${name} (vocals).flac`,
      `stems/${name}.stem.mp4`,
      `video/YouTube/${name} (source).mp4`,
    ];
    const ours = delivered.filter((f) => !f.includes('Legacy Channel'));
    const title = /^video\/YouTube\/(.*) \(source\)\.mp4$/.exec(
      ours.find((f) => f.startsWith('video/')) ?? '',
    );
    expect(title, ours.join('\n')).not.toBeNull();
    expect(ours).toEqual(song(title![1]!).sort());
    expect(delivered.filter((f) => f.includes('Legacy Channel'))).toEqual(
      song('Legacy Channel - Legacy Video Title').sort(),
    );

    // The video job made the video (source and with the instrumental as its sound), nothing else.
    for (const id of [ids[1]!, 'yt_LEGACYvid01_video']) {
      const manifest = JSON.parse(await readFile(join(root, 'outputs', id, 'manifest.json'), 'utf8')) as {
        artifacts: { kind: string; variant: string }[];
      };
      expect(manifest.artifacts.map((a) => `${a.kind}/${a.variant}`).sort(), id).toEqual([
        'video/instrumental',
        'video/source',
      ]);
    }
  }, 600_000);
});
