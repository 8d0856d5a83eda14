import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueue } from '@imk/fsqueue';
import { pngFile, sineFile } from '@imk/media/testing';
import { makeJobId } from '../src/actions/enqueue.ts';
import { imkInProcess } from './in-process.ts';
import { IMK } from './imk-bin.ts';

const imk = (...args: string[]) => execa(process.execPath, [IMK, ...args], { reject: false });
// Where only stdout is checked, the same command line through main() in this process (a process fewer);
// each check of an exit code or of stderr runs `imk` as a process.
const imkHere = imkInProcess;

describe('imk enqueue and imk queue ls', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'imk-cli-enqueue-'));
    await sineFile(join(root, 'Some Band - Nice Song.wav'), { channels: 1 });
    await pngFile(join(root, 'art.png'), '16x16');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('publishes a bundle a consumer can claim, with tags from the file name, and prints its id', async () => {
    const result = await imk(
      'enqueue',
      join(root, 'Some Band - Nice Song.wav'),
      '--cover',
      join(root, 'art.png'),
      '--root',
      root,
    );
    expect(result.stderr).toBe('');
    const jobId = result.stdout.trim();
    expect(jobId).toMatch(/^some-band-nice-song-[0-9a-f]{6}$/);

    const listed = await imkHere('queue', 'ls', '--json', '--root', root);
    const rows = JSON.parse(listed.stdout) as {
      queue: string;
      ready: number;
      oldestReadyAgeSec: number | null;
    }[];
    expect(rows.map((row) => row.queue)).toEqual(['youtube_audio', 'youtube_video', 'other']);
    expect(rows.find((row) => row.queue === 'other')).toMatchObject({ ready: 1 });
    expect(rows.find((row) => row.queue === 'youtube_audio')).toMatchObject({
      ready: 0,
      oldestReadyAgeSec: null,
    });

    const queue = createQueue({ queueDir: join(root, 'queues', 'other'), watch: false });
    try {
      const claim = await queue.claim();
      expect(claim?.jobId).toBe(jobId);
      expect(claim?.job).toMatchObject({
        source_type: 'local',
        artist: 'Some Band',
        title: 'Nice Song',
        audio_path: 'audio.wav',
        cover_path: 'cover.png',
        schema_version: 1,
      });
      expect((await readFile(join(claim!.dir, 'audio.wav'))).length).toBeGreaterThan(1000);
      await claim!.complete();
    } finally {
      await queue.close();
    }
    const table = await imkHere('queue', 'ls', '--root', root);
    expect(table.stdout).toMatch(
      /^QUEUE\s+READY\s+CLAIMED\s+SUCCEEDED\s+FAILED\s+REJECTED\s+CANCELLED\s+TMP\s+OLDEST READY$/m,
    );
    expect(table.stdout).toMatch(/^other\s+0\s+0\s+1\s+0\s+0\s+0\s+0\s+-$/m);
    // Every verb takes --root (README), a group's before its sub-command too: `imk queue --root DIR ls`
    // was "unknown option '--root'".
    expect((await imkHere('queue', '--root', root, 'ls')).stdout).toBe(table.stdout);
    const rebuilt = await imkHere('ledger', '--root', root, 'rebuild', '--json');
    expect(JSON.parse(rebuilt.stdout)).toMatchObject({ file: join(root, 'state', 'ledger.sqlite') });
  });

  it('reads a file name as the inbox and the upload do: a track number is no artist, _ is a space', async () => {
    const named = async (name: string) => {
      await sineFile(join(root, name), { channels: 1 });
      const id = (
        await imkHere('enqueue', join(root, name), '--queue', 'youtube_video', '--root', root)
      ).stdout.trim();
      const folder = join(root, 'queues', 'youtube_video', `job_${id}`);
      return JSON.parse(await readFile(join(folder, 'job.json'), 'utf8')) as Record<string, unknown>;
    };
    // Before, "01" was the artist and "Some Band - Nice Song" the title.
    expect(await named('01 - Some Band - Nice Song.wav')).toMatchObject({
      artist: 'Some Band',
      title: 'Nice Song',
    });
    expect(await named('Other_Band_-_Other_Song.wav')).toMatchObject({
      artist: 'Other Band',
      title: 'Other Song',
    });
  });

  it('takes tags, queue and job id from options, and refuses an existing id or a non-audio file', async () => {
    const audio = join(root, 'Some Band - Nice Song.wav');
    const args = [
      '--queue',
      'youtube_audio',
      '--artist',
      'A',
      '--title',
      'T',
      '--job-id',
      'my_job',
      '--root',
      root,
    ];
    expect((await imkHere('enqueue', audio, ...args)).stdout.trim()).toBe('my_job');
    const job = JSON.parse(
      await readFile(join(root, 'queues', 'youtube_audio', 'job_my_job', 'job.json'), 'utf8'),
    );
    expect(job).toMatchObject({ artist: 'A', title: 'T', job_id: 'my_job' });
    const again = await imk('enqueue', audio, ...args);
    expect(again.exitCode).not.toBe(0);
    expect(again.stderr).toContain('[JOB_EXISTS]');
    const notAudio = await imk('enqueue', join(root, 'missing.wav'), '--root', root);
    expect(notAudio.exitCode).not.toBe(0);
    expect(notAudio.stderr).toContain('missing.wav');
  });

  it('refuses a job id ending in .tmp, which the queue would take for a bundle still being written', async () => {
    // Before: published as job_song.tmp/, never claimed, and swept as a producer's leftover a day later.
    const audio = join(root, 'Some Band - Nice Song.wav');
    const result = await imk('enqueue', audio, '--job-id', 'song.tmp', '--root', root);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('song.tmp');
    expect(result.stderr).toContain('must not end in ".tmp"');
    const queued = await readdir(join(root, 'queues'), { recursive: true });
    expect(queued.filter((name) => name.includes('song.tmp'))).toEqual([]);
  });

  it('refuses a job id saying every way it breaks the rule, naming it, then the whole rule', async () => {
    // Before: zod's first issue only ("expected a name without …"), not that it also ends in a space.
    const audio = join(root, 'Some Band - Nice Song.wav');
    const result = await imk('enqueue', audio, '--job-id', 'live/at@wembley ', '--root', root);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain(
      '--job-id: "live/at@wembley " is not a valid job id: it contains "/" and "@", it ends in a space; a job id is 1 to 200 bytes of text (UTF-8)',
    );
    expect(result.stderr).toContain('[INVALID_JOB_ID]');
  });

  it('has --help on both verbs', async () => {
    expect((await imkHere('enqueue', '--help')).stdout).toContain('--job-id');
    expect((await imkHere('queue', 'ls', '--help')).stdout).toContain('--json');
  });
});

describe('imk enqueue job ids', () => {
  it('spells the artist and title in readable Latin letters, whatever their script', () => {
    expect(makeJobId('Björk', 'Jóga')).toMatch(/^bjork-joga-[0-9a-f]{6}$/);
    expect(makeJobId('Кино', 'Кукушка')).toMatch(/^kino-kukushka-[0-9a-f]{6}$/);
    expect(makeJobId('東京事変', undefined)).toMatch(/^job-[0-9a-f]{6}$/);
  });
});
