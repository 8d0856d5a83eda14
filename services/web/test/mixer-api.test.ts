import { cp, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import { STEM_LEVEL_RANGE } from '@imk/protocol';
import { makeArchivedOutput, makeOutput, quietLogger, tempRoot } from './helpers.ts';

let cleanup: () => Promise<void>;
let root: string;
let web: RunningWeb;
const stop = new AbortController();

beforeAll(async () => {
  ({ root, cleanup } = await tempRoot());
  // A published job whose stems are not (any more) in the stem cache.
  await makeOutput(root, 'job_done');
  web = await listenWeb({ root, logger: quietLogger(), signal: stop.signal, overrides: { port: 0 } });
});

afterAll(async () => {
  stop.abort();
  await web.closed;
  await cleanup();
});

const post = (path: string, body: unknown) =>
  fetch(`${web.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('the mixer API when the stems were cleaned up', () => {
  it('says the stems are gone, refuses to save a mix, and checks what a mix asks for', async () => {
    const info = (await (await fetch(`${web.url}/api/jobs/job_done/mixer`)).json()) as {
      available: boolean;
      message: string;
    };
    expect(info.available).toBe(false);
    expect(info.message).toMatch(/no longer in the stem cache/);
    expect((await fetch(`${web.url}/api/jobs/job_done/stems/vocals.wav`)).status).toBe(410);
    expect((await fetch(`${web.url}/api/jobs/job_done/stems/kazoo.wav`)).status).toBe(404);

    const gone = await post('/api/jobs/job_done/mix', { variant: 'my_mix', stems: { bass: 1 } });
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as { error: string }).error).toBe('STEMS_NOT_CACHED');

    // "Separate again" needs the song's archived bundle: here it is gone too, and the answers say so.
    expect(info).toMatchObject({ canSeparateAgain: false });
    expect(info.message).toMatch(/succeeded archive either.*add the song again/);
    const again = await post('/api/jobs/job_done/separate-again', {});
    expect(again.status).toBe(410);
    const refused = (await again.json()) as { error: string; message: string };
    expect(refused.error).toBe('SOURCE_GONE');
    expect(refused.message).toMatch(/job_done.*succeeded archive.*add the song again/);
    expect((await post('/api/jobs/no_such_job/separate-again', {})).status).toBe(404);

    const bad = await post('/api/jobs/job_done/mix', { variant: 'My Mix', stems: { kazoo: 1 }, pitch: 13 });
    expect(bad.status).toBe(400);
    const message = ((await bad.json()) as { message: string }).message;
    expect(message).toMatch(/variant/);
    expect(message).toMatch(/pitch/);
    // The whole range, as every validation message says it (not zod's "Too big: expected number to be <=12").
    expect(message).toContain('pitch: must be between -12 and 12');
  });
});

describe('"Separate again" asked twice at once (a double click, two tabs)', () => {
  it('queues one job: every answer names it', async () => {
    // A published job whose song is still in the queue's succeeded archive.
    await makeOutput(root, 'job_twice');
    const archived = join(root, 'queues', 'other', 'succeeded', 'job_job_twice');
    await mkdir(archived, { recursive: true });
    await cp(
      join(root, 'outputs', 'job_twice', 'files', 'audio', 'Test Artist - Sine Song.m4a'),
      join(archived, 'song.m4a'),
    );
    await writeFile(
      join(archived, 'job.json'),
      JSON.stringify({
        job_id: 'job_twice',
        source_type: 'local',
        title: 'Sine Song',
        audio_path: 'song.m4a',
      }),
    );
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => post('/api/jobs/job_twice/separate-again', {})),
    );
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202]);
    const ids = new Set(
      await Promise.all(answers.map(async (a) => ((await a.json()) as { job_id: string }).job_id)),
    );
    expect(ids.size).toBe(1);
    const queued = (await readdir(join(root, 'queues', 'other'))).filter((n) =>
      n.includes('job_twice_again_'),
    );
    expect(queued).toHaveLength(1);
  });
});

describe('"Separate again" of a song the earlier version queued', () => {
  it("reads its job.json as the worker did (the earlier version's nulls are absent), and queues the song", async () => {
    // A bundle the earlier Python project published: no schema_version, its dataclass written whole.
    await makeOutput(root, 'job_legacy');
    const archived = join(root, 'queues', 'other', 'succeeded', 'job_job_legacy');
    await mkdir(archived, { recursive: true });
    await cp(
      join(root, 'outputs', 'job_legacy', 'files', 'audio', 'Test Artist - Sine Song.m4a'),
      join(archived, 'song.m4a'),
    );
    await writeFile(
      join(archived, 'job.json'),
      JSON.stringify({
        job_id: 'job_legacy',
        source_type: 'local',
        artist: 'Test Artist',
        album: null,
        title: 'Sine Song',
        audio_path: 'song.m4a',
        video_path: null,
        cover_path: '',
      }),
    );
    const answer = await post('/api/jobs/job_legacy/separate-again', {});
    expect(answer.status).toBe(202);
    const { job_id } = (await answer.json()) as { job_id: string };
    const queued = JSON.parse(
      await readFile(join(root, 'queues', 'other', `job_${job_id}`, 'job.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(queued).toMatchObject({
      artist: 'Test Artist',
      title: 'Sine Song',
      separate_again_of: 'job_legacy',
    });
    expect(queued).not.toHaveProperty('album');
    expect(queued).not.toHaveProperty('cover_path');
  });
});

// The dashboard lists the earlier Python version's outputs like ours; its mixer API said "job X has no
// (current) manifest in outputs/" of them, though their manifest.json was right there.
describe('the mixer API for an output the earlier version wrote', () => {
  it('says the job was made by the earlier version and cannot be mixed here, on every route', async () => {
    await materializeLegacySample('outputs/pyout_inst_003', join(root, 'outputs', 'pyout_inst_003'));
    const said =
      /job pyout_inst_003 was made by the earlier instrumental-maker.*add the song again to mix it/;
    const info = (await (await fetch(`${web.url}/api/jobs/pyout_inst_003/mixer`)).json()) as {
      available: boolean;
      message: string;
      canSeparateAgain: boolean;
    };
    expect(info).toMatchObject({ available: false, canSeparateAgain: false });
    expect(info.message).toMatch(said);
    const stem = await fetch(`${web.url}/api/jobs/pyout_inst_003/stems/vocals.wav`);
    expect(stem.status).toBe(410);
    expect(((await stem.json()) as { message: string }).message).toMatch(said);
    const mix = await post('/api/jobs/pyout_inst_003/mix', { variant: 'my_mix', stems: { bass: 1 } });
    expect(mix.status).toBe(410);
    expect(((await mix.json()) as { message: string }).message).toMatch(said);
    const again = await post('/api/jobs/pyout_inst_003/separate-again', {});
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({
      error: 'LEGACY_OUTPUT',
      message: expect.stringMatching(said),
    });
  });
});

// The earlier version kept no stem cache, but with PRESERVE_STEMS=true it left the four stem WAVs in
// files/stems/: the mixer answered 409 LEGACY_OUTPUT / "cannot be mixed here" all the same.
describe('the mixer API for an earlier-version output that kept its stems', () => {
  it('plays its four stems from its folder and queues a mix, changing nothing there', async () => {
    const out = join(root, 'outputs', 'pyout_audio_001');
    await materializeLegacySample('outputs/pyout_audio_001', out);
    const before = await readFile(join(out, 'manifest.json'), 'utf8');
    const info = (await (await fetch(`${web.url}/api/jobs/pyout_audio_001/mixer`)).json()) as {
      available: boolean;
      levelMax: number;
      stems: { name: string; url: string }[];
    };
    expect(info.available).toBe(true);
    expect(info.stems.map((s) => s.name).sort()).toEqual(['bass', 'drums', 'other', 'vocals']);
    // The page's mixer keeps a saved mix's levels to what the server takes: the highest, from its home.
    expect(info.levelMax).toBe(STEM_LEVEL_RANGE.max);
    const over = await post('/api/jobs/pyout_audio_001/mix', {
      variant: 'too_loud',
      stems: { bass: info.levelMax + 0.01 },
    });
    expect(over.status).toBe(400);
    expect(await over.json()).toMatchObject({ error: 'INVALID_MIX' });
    const stem = await fetch(`${web.url}${info.stems.find((s) => s.name === 'drums')!.url}`);
    expect(stem.status).toBe(200);
    expect(stem.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await stem.arrayBuffer())).toEqual(await readFile(join(out, 'files/stems/drums.wav')));
    const mix = await post('/api/jobs/pyout_audio_001/mix', { variant: 'my_mix', stems: { bass: 1 } });
    expect(mix.status).toBe(202);
    const { job_id } = (await mix.json()) as { job_id: string };
    const queued = JSON.parse(
      await readFile(join(root, 'queues', 'other', `job_${job_id}`, 'job.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(queued).toMatchObject({
      artist: 'Py Artist',
      album: 'Py Album',
      title: 'Py Song',
      remix: { of: 'pyout_audio_001', variant: 'my_mix' },
    });
    expect(await readFile(join(out, 'manifest.json'), 'utf8')).toBe(before);
    const again = await post('/api/jobs/pyout_audio_001/separate-again', {});
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: 'LEGACY_OUTPUT' });
  });

  // The mix made from them is a job of ours (outputs/<mix id>/, input.stems_of names the earlier job); when
  // this host's stem cache lacks its stems, the mixer answered "separate it again", which could not work.
  it('plays the stems a mix of it was made from, from its folder, when the cache lacks them', async () => {
    const out = join(root, 'outputs', 'pyout_audio_001');
    await materializeLegacySample('outputs/pyout_audio_001', out);
    const dir = await makeOutput(root, 'mix_of_earlier', { artist: 'Py Artist', title: 'Py Song' });
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
      input: Record<string, unknown>;
    };
    manifest.input.stems_of = 'pyout_audio_001';
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const info = (await (await fetch(`${web.url}/api/jobs/mix_of_earlier/mixer`)).json()) as {
      available: boolean;
      stems: { name: string; url: string }[];
    };
    expect(info.available, JSON.stringify(info)).toBe(true);
    const stem = await fetch(`${web.url}${info.stems.find((s) => s.name === 'vocals')!.url}`);
    expect(stem.status).toBe(200);
    expect(Buffer.from(await stem.arrayBuffer())).toEqual(
      await readFile(join(out, 'files/stems/vocals.wav')),
    );
    const mix = await post('/api/jobs/mix_of_earlier/mix', { variant: 'again', stems: { vocals: 1 } });
    expect(mix.status).toBe(202);
    // Its stems gone from the earlier folder too: said, naming that folder.
    await rm(join(out, 'files/stems/bass.wav'));
    const gone = (await (await fetch(`${web.url}/api/jobs/mix_of_earlier/mixer`)).json()) as {
      available: boolean;
      message: string;
    };
    expect(gone.available).toBe(false);
    expect(gone.message).toContain('outputs/pyout_audio_001/files/stems/');
    await materializeLegacySample('outputs/pyout_audio_001', out);
  });

  it('does not play a stem that is a link (to a file outside the job), a folder, or missing', async () => {
    const outside = join(root, 'secret.wav');
    await writeFile(outside, 'not yours');
    for (const [name, spoil] of [
      ['pyout_link', (file: string) => symlink(outside, file)],
      ['pyout_dir', (file: string) => mkdir(file)],
      ['pyout_gone', () => Promise.resolve()],
    ] as const) {
      const out = join(root, 'outputs', name);
      await materializeLegacySample('outputs/pyout_audio_001', out);
      const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { job_id: string };
      await writeFile(join(out, 'manifest.json'), JSON.stringify({ ...manifest, job_id: name }));
      await rm(join(out, 'files/stems/other.wav'));
      await spoil(join(out, 'files/stems/other.wav'));
      const info = (await (await fetch(`${web.url}/api/jobs/${name}/mixer`)).json()) as {
        available: boolean;
        message: string;
      };
      expect(info.available, name).toBe(false);
      expect(info.message).toContain('files/stems/other.wav');
      expect((await fetch(`${web.url}/api/jobs/${name}/stems/other.wav`)).status).toBe(410);
      expect((await post(`/api/jobs/${name}/mix`, { variant: 'm', stems: { bass: 1 } })).status).toBe(410);
    }
  });
});

// The web host's stem cache lacks the stems (another host separated the song, or they were cleaned up),
// but the song is archived: the worker separates it again for a mix (since worker7). Before, every mixer
// route answered 410 STEMS_NOT_CACHED and a mix could not even be saved.
describe('the mixer when this host lacks the stems but the song is archived', () => {
  it('says what can be done on every route, and saves a mix for the worker to make', async () => {
    await makeArchivedOutput(root, 'job_elsewhere');
    const ways = /"Separate again" puts them back.*save a mix by its levels without listening/;
    const info = (await (await fetch(`${web.url}/api/jobs/job_elsewhere/mixer`)).json()) as Record<
      string,
      unknown
    >;
    expect(info).toMatchObject({
      available: false,
      canSeparateAgain: true,
      canSaveWithoutStems: true,
      message: expect.stringMatching(ways),
    });
    // The stems the page plays: 410, with the same way forward.
    const stem = await fetch(`${web.url}/api/jobs/job_elsewhere/stems/vocals.wav`);
    expect(stem.status).toBe(410);
    expect(await stem.json()).toMatchObject({
      error: 'STEMS_NOT_CACHED',
      canSaveWithoutStems: true,
      message: expect.stringMatching(ways),
    });
    // Saving a mix: queued, and the answer says the worker separates the song again.
    const saved = await post('/api/jobs/job_elsewhere/mix', {
      variant: 'karaoke',
      stems: { bass: 1, drums: 1 },
    });
    expect(saved.status).toBe(202);
    const queued = (await saved.json()) as { job_id: string; separatesAgain: boolean; message: string };
    expect(queued).toMatchObject({
      separatesAgain: true,
      message: expect.stringMatching(/separates the archived song again/),
    });
    const job = JSON.parse(
      await readFile(join(root, 'queues', 'other', `job_${queued.job_id}`, 'job.json'), 'utf8'),
    ) as { remix: unknown };
    expect(job.remix).toMatchObject({
      of: 'job_elsewhere',
      variant: 'karaoke',
      stems: { bass: 1, drums: 1 },
    });
  });
});

// The earlier version's ids with spaces and non-ASCII letters are job ids (its bundles are made here): the
// dashboard's job routes answered 400 BAD_JOB_ID ("is not a job id") for the mixer, retry and cancel.
describe('a job whose id has spaces and non-ASCII letters', () => {
  it('is answered on every job route under its id, its files downloaded', async () => {
    const id = '日本語の歌 (live) + Café';
    await makeOutput(root, id);
    const url = `${web.url}/api/jobs/${encodeURIComponent(id)}`;
    const detail = await fetch(url);
    expect(detail.status).toBe(200);
    expect(((await detail.json()) as { output: { job_id: string } }).output.job_id).toBe(id);
    const mixer = await fetch(`${url}/mixer`);
    expect(mixer.status).toBe(200);
    expect(await mixer.json()).toMatchObject({ available: false });
    const file = await fetch(
      `${web.url}/outputs/${encodeURIComponent(id)}/files/audio/${encodeURIComponent('Test Artist - Sine Song.m4a')}`,
    );
    expect(file.status).toBe(200);
    const cancel = await post(`/api/jobs/${encodeURIComponent(id)}/cancel`, {});
    expect(((await cancel.json()) as { error?: string }).error).not.toBe('BAD_JOB_ID');
  });
});
