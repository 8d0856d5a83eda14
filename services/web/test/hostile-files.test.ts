import { mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveChildren } from '@imk/media/testing';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { makeAudio, makeOutput, quietLogger, tempRoot } from './helpers.ts';

// The dashboard reads files others wrote: bundles in the queues and folders in outputs/. A FIFO must not
// hang it, a link must not make it serve another folder, a 200k-deep job.json must not make it answer 500.
let root: string;
let cleanup: () => Promise<void>;
let web: RunningWeb;
/** The same root served with a 2-second preview timeout, for the one test of that timeout. */
let impatient: RunningWeb;
const stop = new AbortController();

/** outputs/<id>/ whose one artifact `build` makes; its manifest copies job real_audio's entry (sha256 too). */
async function artifactOutput(
  id: string,
  build: (file: string) => Promise<void>,
  ext = 'm4a',
): Promise<void> {
  const dir = join(root, 'outputs', id);
  const path = `files/audio/x.${ext}`;
  await mkdir(join(dir, 'files', 'audio'), { recursive: true });
  await build(join(dir, path));
  const manifest = JSON.parse(
    await readFile(join(root, 'outputs', 'real_audio', 'manifest.json'), 'utf8'),
  ) as {
    job_id: string;
    artifacts: { path: string }[];
  };
  manifest.job_id = id;
  manifest.artifacts = [{ ...manifest.artifacts[0]!, path }];
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
}

async function ready(id: string, build: (tmp: string) => Promise<void>): Promise<void> {
  const queueDir = join(root, 'queues', 'other');
  const tmp = join(queueDir, `job_${id}.tmp`);
  await mkdir(tmp, { recursive: true });
  await build(tmp);
  await rename(tmp, join(queueDir, `job_${id}`));
}

beforeAll(async () => {
  ({ root, cleanup } = await tempRoot('imk-web-hostile-'));
  // A real output somewhere else, and outputs/linked pointing at it.
  const elsewhere = await makeOutput(root, 'real_one');
  await rename(elsewhere, join(root, 'elsewhere'));
  await symlink(join(root, 'elsewhere'), join(root, 'outputs', 'linked'));
  await ready('fifo_job', (tmp) => execa('mkfifo', [join(tmp, 'job.json')]).then(() => undefined));
  await ready('deep_job', (tmp) =>
    writeFile(
      join(tmp, 'job.json'),
      `{"job_id":"deep_job","source_type":"local","audio_path":"a.m4a","options":{"engine_params":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`,
    ),
  );
  // Outputs whose one artifact is hostile; every manifest claims the sha256 of job `real_audio`'s file.
  await makeOutput(root, 'real_audio');
  await artifactOutput('fifo_art', (file) => execa('mkfifo', [file]).then(() => undefined));
  await mkdir(join(root, 'outside'), { recursive: true });
  await makeAudio(join(root, 'outside', 'secret.wav'), 2, 1000);
  await execa('ffmpeg', [
    '-v',
    'error',
    '-i',
    join(root, 'outside', 'secret.wav'),
    join(root, 'outside', 'secret.aac'),
  ]);
  await artifactOutput('hls_art', (file) =>
    writeFile(
      file,
      `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:2.0,\n${join(root, 'outside', 'secret.aac')}\n#EXT-X-ENDLIST\n`,
    ),
  );
  await artifactOutput('other_audio', (file) => makeAudio(file, 3, 1500));
  // 20 GB of nothing: ffmpeg's mp3 demuxer would scan it for minutes.
  await artifactOutput(
    'sparse_art',
    (file) => execa('truncate', ['-s', '20G', file]).then(() => undefined),
    'mp3',
  );
  // The previews that must render get the default timeout: on a loaded machine ffmpeg can take over 2 s to
  // draw even a short file (a CI run failed so), and those tests are not about the timeout.
  web = await listenWeb({ root, logger: quietLogger(), signal: stop.signal, overrides: { port: 0 } });
  impatient = await listenWeb({
    root,
    logger: quietLogger(),
    signal: stop.signal,
    overrides: { port: 0, previewTimeoutSec: 2 },
  });
});
afterAll(async () => {
  stop.abort();
  await Promise.all([web.closed, impatient.closed]);
  await cleanup();
});

const get = (path: string, server = web) =>
  fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(60_000) });

describe('dashboard reads of untrusted files', () => {
  it('does not serve or list outputs/<id> when it is a link to a folder elsewhere', async () => {
    expect((await get('/outputs/linked/manifest.json')).status).toBe(404);
    expect((await get('/api/outputs/linked')).status).toBe(404);
    const list = (await (await get('/api/outputs')).json()) as { job_id: string }[];
    expect(list.map((o) => o.job_id)).not.toContain('linked');
  });

  it('answers for a job whose job.json is a FIFO (never blocks) and one 200k levels deep (no 500)', async () => {
    for (const id of ['fifo_job', 'deep_job']) {
      const response = await get(`/api/jobs/${id}`);
      expect(response.status, id).toBe(200);
      const body = (await response.json()) as { jobProblem?: string };
      expect(body.jobProblem, id).toMatch(id === 'fifo_job' ? /job\.json is a FIFO/ : /more than 64 levels/);
    }
    // Still responsive for everything else afterwards.
    expect((await get('/api/status')).status).toBe(200);
  });
});

describe('preview images of untrusted artifacts', () => {
  it('refuses a FIFO artifact at once with a 422 naming it (it never reaches ffmpeg)', async () => {
    const response = await get('/api/outputs/fifo_art/artifacts/0/waveform.png');
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('FILE_NOT_REGULAR');
    expect(body.message).toMatch(/artifact 0 of outputs\/fifo_art \(files\/audio\/x\.m4a\).*FIFO/);
    expect((await get('/api/status')).status).toBe(200);
  });

  it('does not draw a file outside outputs/ that an HLS playlist artifact names', async () => {
    const response = await get('/api/outputs/hls_art/artifacts/0/waveform.png');
    expect(response.status).toBe(500);
    expect(((await response.json()) as { message: string }).message).toMatch(
      /not on whitelist|Invalid data/i,
    );
  });

  it('renders each file for itself, whatever sha256 its manifest claims', async () => {
    const png = async (id: string) => {
      const response = await get(`/api/outputs/${id}/artifacts/0/waveform.png`);
      expect(response.status, id).toBe(200);
      return Buffer.from(await response.arrayBuffer());
    };
    const real = await png('real_audio');
    // Same claimed sha256, another sound (1500 Hz, not 330 Hz): another picture.
    expect((await png('other_audio')).equals(real)).toBe(false);
  });

  it('stops ffmpeg past web.previewTimeoutSec and answers, leaving no ffmpeg behind', async () => {
    // Not timed with the test's clock: left to itself ffmpeg scans the 20 GB file for minutes, past this
    // test's 20 s. The answer in the timeout's own words and no ffmpeg of ours left alive show it was
    // stopped at previewTimeoutSec.
    const response = await get('/api/outputs/sparse_art/artifacts/0/spectrogram.png', impatient);
    expect(response.status).toBe(500);
    expect(((await response.json()) as { message: string }).message).toMatch(/longer than 2000 ms/);
    const left = await execa('pgrep', ['-f', join(root, 'outputs', 'sparse_art')], { reject: false });
    expect(left.stdout).toBe('');
    // ffmpeg is given the file through a descriptor (its command line names /proc/self/fd/N, so the pgrep
    // above cannot see it): look for any ffmpeg child of this process still alive.
    expect(await liveChildren('ffmpeg')).toEqual([]);
  }, 20_000);
});
