import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '@imk/fs-safe';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { makeOutput, quietLogger, tempRoot } from './helpers.ts';

// A video job's source video may come without sound (its song came as its own audio file); the worker
// lists it with codec "none". The page asked for its waveform like any file's, and the server ran ffmpeg on
// it: 500 PREVIEW_FAILED "Cannot find a matching stream for unlabeled input pad 0 on filter
// Parsed_aformat_0", a broken image on the job page. Now it is a 404 saying the file has no sound.
let root: string;
let cleanup: () => Promise<void>;
let web: RunningWeb;
const stop = new AbortController();
const path = 'files/video/Test Artist - Sine Song (source).mp4';

beforeAll(async () => {
  ({ root, cleanup } = await tempRoot());
  const dir = await makeOutput(root, 'video_job');
  await mkdir(join(dir, 'files', 'video'), { recursive: true });
  const file = join(dir, path);
  await execa('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=d=2:s=160x120', '-c:v', 'libx264'],
    file,
  ]);
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
    artifacts: unknown[];
  };
  manifest.artifacts.push({
    kind: 'video',
    variant: 'source',
    label: 'Source video',
    path,
    codec: 'none',
    container: 'mp4',
    duration_sec: 2,
    sha256: await sha256File(file),
    bytes: (await stat(file)).size,
    loudness: { integrated_lufs: null, true_peak_dbtp: null },
  });
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  web = await listenWeb({ root, logger: quietLogger(), signal: stop.signal, overrides: { port: 0 } });
}, 60_000);

afterAll(async () => {
  stop.abort();
  await web.closed;
  await cleanup();
});

describe('the preview of a video without sound', () => {
  it.each(['waveform', 'spectrogram'])('is a 404 saying it has no sound (%s)', async (kind) => {
    const response = await fetch(`${web.url}/api/outputs/video_job/artifacts/2/${kind}.png`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: 'PREVIEW_NO_SOUND',
      message: `artifact 2 of outputs/video_job (${path}) has no sound: there is no ${kind} to draw`,
    });
    // The file itself is served as ever.
    expect(
      (await fetch(`${web.url}/outputs/video_job/${path.split('/').map(encodeURIComponent).join('/')}`))
        .status,
    ).toBe(200);
  });
});
