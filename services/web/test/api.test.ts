import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '@imk/ledger';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { MDX_ENGINE, makeAudio, makeFailedJob, makeOutput, quietLogger, tempRoot } from './helpers.ts';

let root: string;
let cleanup: () => Promise<void>;
let web: RunningWeb;
const stop = new AbortController();

beforeAll(async () => {
  ({ root, cleanup } = await tempRoot());
  await makeOutput(root, 'job_done');
  await makeFailedJob(root, 'job_broken');
  await writeFile(join(root, 'secret.txt'), 'not for the web');
  await symlink(join(root, 'secret.txt'), join(root, 'outputs', 'job_done', 'files', 'escape.txt'));
  web = await listenWeb({ root, logger: quietLogger(), signal: stop.signal, overrides: { port: 0 } });
});

afterAll(async () => {
  stop.abort();
  await web.closed;
  await cleanup();
});

const get = (path: string, init?: RequestInit) => fetch(`${web.url}${path}`, init);

describe('web API', () => {
  it('serves an icon at /favicon.ico, which every browser asks for on every page (was a 404 in the console)', async () => {
    const icon = await get('/favicon.ico');
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(await icon.text()).toMatch(/^<svg /);
    expect(await (await get('/')).text()).toContain('<link rel="icon" href="/favicon.ico"');
    // The sign-in page (served when a token is set) links it too.
    expect(await readFile(new URL('../public/login.html', import.meta.url), 'utf8')).toContain(
      '<link rel="icon" href="/favicon.ico"',
    );
  });

  it('answers health checks and readiness', async () => {
    expect(await (await get('/healthz')).json()).toEqual({ ok: true });
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { ready: boolean; checks: { name: string; ok: boolean }[] };
    expect(body.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['queues', 'outputs', 'state', 'ledger']),
    );
  });

  it('serves Prometheus metrics with queue depth and disk space', async () => {
    const response = await get('/metrics');
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    expect(text).toContain('imk_queue_jobs{queue="other",state="failed"} 1');
    expect(text).toMatch(/imk_disk_free_bytes\{path=".+"\} \d+/);
    expect(text).toContain('imk_disk_guard_claiming 1');
    expect(text).toContain('# TYPE imk_stage_duration_seconds histogram');
    expect(text).toContain('imk_process_resident_memory_bytes');
  });

  it('lists the failed job with its error and puts it back into its queue on retry', async () => {
    const detail = (await (await get('/api/jobs/job_broken')).json()) as {
      summary: { state: string; last_error: string };
      canRetry: boolean;
    };
    expect(detail.summary.state).toBe('failed');
    expect(detail.summary.last_error).toMatch(/could not be decoded/);
    expect(detail.canRetry).toBe(true);
    const retried = await get('/api/jobs/job_broken/retry', { method: 'POST' });
    expect(retried.status).toBe(200);
    expect(await readdir(join(root, 'queues', 'other'))).toContain('job_job_broken');
    const again = await get('/api/jobs/job_broken/retry', { method: 'POST' });
    expect(again.status).toBe(404);
    expect(((await again.json()) as { message: string }).message).toMatch(/no failed archive/);
    const jobs = (await (await get('/api/jobs')).json()) as { job_id: string; state: string }[];
    expect(jobs.find((j) => j.job_id === 'job_broken')?.state).toBe('ready');
  });

  it('shows the manifest and serves variant files with HTTP ranges (what the <audio> player asks for)', async () => {
    const output = (await (await get('/api/outputs/job_done')).json()) as {
      artifacts: { path: string; variant: string }[];
    };
    expect(output.artifacts.map((a) => a.variant)).toEqual(['instrumental', 'no_drums']);
    const path = output.artifacts[0]!.path.split('/').map(encodeURIComponent).join('/');
    const full = await get(`/outputs/job_done/${path}`);
    expect(full.status).toBe(200);
    const bytes = Buffer.from(await full.arrayBuffer());
    const onDisk = await readFile(join(root, 'outputs', 'job_done', output.artifacts[0]!.path));
    expect(bytes.equals(onDisk)).toBe(true);
    const range = await get(`/outputs/job_done/${path}`, { headers: { range: 'bytes=10-19' } });
    expect(range.status).toBe(206);
    expect(Buffer.from(await range.arrayBuffer()).equals(onDisk.subarray(10, 20))).toBe(true);
    const download = await get(`/outputs/job_done/${path}?download=1`);
    expect(download.headers.get('content-disposition')).toMatch(
      /^attachment; filename="Test Artist - Sine Song\.m4a"/,
    );
  });

  it("reads the earlier Python version's outputs as they are", async () => {
    const dir = join(root, 'outputs', 'yt_legacy_audio');
    await makeAudio(join(dir, 'files', 'audio', 'Old - Song.m4a'), 1);
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify({
        job_id: 'yt_legacy_audio',
        source_type: 'youtube',
        artist: 'Old',
        album: 'YTDL',
        title: 'Song',
        processed_at: '2023-05-01T10:00:00Z',
        artifacts: [
          {
            kind: 'audio',
            variant: 'instrumental',
            label: 'Instrumental',
            path: 'files/audio/Old - Song.m4a',
            codec: 'aac',
            container: 'm4a',
            duration_sec: 1,
            sha256: null,
          },
        ],
        stems_generated: true,
        stems_preserved: false,
      }),
    );
    const library = (await (await get('/api/outputs')).json()) as { job_id: string; legacy: boolean }[];
    expect(library.find((o) => o.job_id === 'yt_legacy_audio')).toMatchObject({ legacy: true });
    const output = (await (await get('/api/outputs/yt_legacy_audio')).json()) as {
      problems?: unknown;
      artifacts: { path: string }[];
    };
    expect(output.problems).toBeUndefined();
    expect((await get(`/outputs/yt_legacy_audio/files/audio/Old%20-%20Song.m4a`)).status).toBe(200);
    expect(
      (await get('/api/outputs/yt_legacy_audio/artifacts/0/waveform.png')).headers.get('content-type'),
    ).toBe('image/png');
  });

  // The earlier version ran on Linux and took job_id as any text: a title's backslash ("AC\\DC - Song") and
  // an id of spaces only named folders, which the dashboard left out without a word. Listed, read and
  // served, read-only (nothing of ours is retried or remixed under a name that is no job id).
  it.each(['AC\\DC - Song', '   '])("shows and serves the earlier version's folder %j", async (name) => {
    const dir = join(root, 'outputs', name);
    await makeAudio(join(dir, 'files', 'audio', 'Old - Song.m4a'), 1);
    const manifest = {
      job_id: name,
      source_type: 'local',
      artist: 'Old',
      album: '',
      title: 'Song',
      processed_at: '2023-05-01T10:00:00Z',
      artifacts: [
        { kind: 'audio', variant: 'instrumental', path: 'files/audio/Old - Song.m4a', sha256: null },
      ],
      stems_generated: true,
      stems_preserved: false,
    };
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const id = encodeURIComponent(name);
    const library = (await (await get('/api/outputs')).json()) as { job_id: string }[];
    expect(library.map((o) => o.job_id)).toContain(name);
    const output = (await (await get(`/api/outputs/${id}`)).json()) as { problems?: unknown; job_id: string };
    expect(output).toMatchObject({ job_id: name });
    expect(output.problems).toBeUndefined();
    expect((await get(`/outputs/${id}/files/audio/Old%20-%20Song.m4a`)).status).toBe(200);
  });

  it('never serves a file outside outputs/<job_id>', async () => {
    for (const attempt of [
      '/outputs/job_done/..%2F..%2Fsecret.txt',
      '/outputs/job_done/%2e%2e/%2e%2e/secret.txt',
      '/outputs/..%2Fsecret.txt/x',
      '/outputs/job_done/files/escape.txt',
      '/outputs/job_done/%2Fetc%2Fpasswd',
    ]) {
      const response = await get(attempt);
      expect(response.status, attempt).toBe(404);
      expect(await response.text(), attempt).not.toContain('not for the web');
    }
  });

  it('renders a waveform and a spectrogram PNG per variant, then serves them from the cache', async () => {
    for (const kind of ['waveform', 'spectrogram']) {
      const response = await get(`/api/outputs/job_done/artifacts/1/${kind}.png`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
      expect(
        Buffer.from(await response.arrayBuffer())
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');
    }
    // Cached under the file's own identity (device, inode, size, mtime; never the manifest's sha256): one
    // PNG per kind, and asking again renders nothing new.
    const output = (await (await get('/api/outputs/job_done')).json()) as { artifacts: { path: string }[] };
    const info = await stat(join(root, 'outputs', 'job_done', output.artifacts[1]!.path), { bigint: true });
    const identity = `${info.dev}-${info.ino}-${info.size}-${info.mtimeNs}`;
    const mine = async () =>
      (await readdir(join(root, 'state', 'cache', 'previews'))).filter(
        (n) => n.startsWith(identity) && n.endsWith('.png'),
      );
    expect(await mine()).toHaveLength(2);
    await get('/api/outputs/job_done/artifacts/1/waveform.png');
    expect(await mine()).toHaveLength(2);
    expect((await get('/api/outputs/job_done/artifacts/9/waveform.png')).status).toBe(404);
  });

  it('turns an uploaded file into a bundle in queue other', async () => {
    const file = join(root, 'upload', 'Some Band - Some Song.wav');
    await mkdir(join(root, 'upload'), { recursive: true });
    await makeAudio(file, 1);
    const form = new FormData();
    form.append('file', new Blob([await readFile(file)]), 'Some Band - Some Song.wav');
    const response = await get('/api/upload', { method: 'POST', body: form });
    expect(response.status).toBe(201);
    const {
      job_ids: [jobId],
    } = (await response.json()) as { job_ids: string[] };
    const job = JSON.parse(
      await readFile(join(root, 'queues', 'other', `job_${jobId}`, 'job.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(job).toMatchObject({
      artist: 'Some Band',
      title: 'Some Song',
      source_type: 'local',
      audio_path: 'audio.wav',
    });
    const refused = new FormData();
    refused.append('file', new Blob(['#!/bin/sh']), 'script.sh');
    expect((await get('/api/upload', { method: 'POST', body: refused })).status).toBe(415);
  });

  it("shows a running job's live stage progress from the ledger", async () => {
    const ledger = openLedger({ root });
    ledger.recordState(
      'job_live',
      { state: 'running', stage: 'separate', attempt: 1 },
      { queue: 'other', title: 'Live One' },
    );
    ledger.setProgress('job_live', { stage: 'separate', fraction: 0.42 });
    ledger.close();
    const jobs = (await (await get('/api/jobs')).json()) as {
      job_id: string;
      state: string;
      progress: unknown;
    }[];
    expect(jobs.find((j) => j.job_id === 'job_live')).toMatchObject({
      state: 'running',
      progress: { stage: 'separate', percent: 42 },
    });
  });

  // The worker writes a song without an artist as "" in its manifest (the earlier format wants a string) and
  // as none in the ledger; `imk ledger rebuild` takes the manifest's "". The two lists said null and "".
  it('says a song without an artist (or title) alike in the job list and the library: null', async () => {
    await makeOutput(root, 'job_no_artist', { artist: '', title: 'Untitled Band Song' });
    await makeOutput(root, 'job_rebuilt', { artist: '', title: '' });
    const ledger = openLedger({ root });
    ledger.recordState(
      'job_no_artist',
      { state: 'succeeded', attempt: 1 },
      { queue: 'other', title: 'Untitled Band Song' },
    );
    ledger.recordState(
      'job_rebuilt',
      { state: 'succeeded', attempt: 1 },
      { queue: 'other', artist: '', title: '' },
    );
    ledger.close();
    const jobs = (await (await get('/api/jobs')).json()) as { job_id: string }[];
    const library = (await (await get('/api/outputs')).json()) as { job_id: string }[];
    for (const [id, title] of [
      ['job_no_artist', 'Untitled Band Song'],
      ['job_rebuilt', null],
    ] as const) {
      const names = (list: { job_id: string }[]) => {
        const row = list.find((j) => j.job_id === id) as { artist?: unknown; title?: unknown } | undefined;
        return { artist: row?.artist, title: row?.title };
      };
      expect(names(jobs), id).toEqual({ artist: null, title });
      expect(names(library), id).toEqual({ artist: null, title });
    }
  });

  it('says which engine and model made each job, and nothing for a manifest without engine facts', async () => {
    await makeOutput(root, 'job_mdx', { artist: 'Model Band', title: 'Model Song' }, MDX_ENGINE);
    const ledger = openLedger({ root });
    ledger.recordState(
      'job_mdx',
      { state: 'succeeded', attempt: 1 },
      { queue: 'other', title: 'Model Song' },
    );
    ledger.recordState(
      'job_done',
      { state: 'succeeded', attempt: 1 },
      { queue: 'other', title: 'Sine Song' },
    );
    ledger.close();
    const mdx = {
      name: 'mdx',
      version: '1',
      model: 'UVR-MDX-NET-Inst_HQ_3.onnx',
      model_hash: '55657dd70583b0fedfba5f67df11d711',
    };
    const jobs = (await (await get('/api/jobs')).json()) as { job_id: string; engine: unknown }[];
    expect(jobs.find((j) => j.job_id === 'job_mdx')?.engine).toEqual(mdx);
    expect(jobs.find((j) => j.job_id === 'job_done')?.engine).toEqual({
      name: 'builtin',
      version: '1',
      model: null,
      model_hash: null,
    });
    expect(jobs.find((j) => j.job_id === 'job_live')?.engine).toBeNull(); // not separated yet
    const detail = (await (await get('/api/jobs/job_mdx')).json()) as { engine: unknown };
    expect(detail.engine).toEqual(mdx);
    const legacy = (await (await get('/api/jobs/yt_legacy_audio')).json()) as { engine: unknown };
    expect(legacy.engine).toBeNull();
  });

  it('streams a snapshot over server-sent events', async () => {
    const controller = new AbortController();
    const response = await get('/api/events', { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('event: snapshot')) {
      const chunk = (await reader.read()) as { done: boolean; value?: Uint8Array };
      if (chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
    controller.abort();
    expect(text).toMatch(/"queues":\[/);
  });
});
