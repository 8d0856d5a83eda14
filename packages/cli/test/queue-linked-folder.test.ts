// A queue folder that is a link to a folder elsewhere (a queue on another disk, `ln -s /mnt/big/karaoke
// queues/karaoke`): the worker opens it and the dashboard lists it, through fsqueue. `imk queue ls` and
// `imk job` kept their own listing of queues/, which did not follow the link: the queue and its jobs were
// missing from both ("no job … in the ledger or in …/queues") while the dashboard showed them.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findJobFolders, listQueueJobs, publishBundle } from '@imk/fsqueue';
import { IMK } from './imk-bin.ts';

const imk = (...args: string[]) => execa(process.execPath, [IMK, ...args], { reject: false });

describe('imk queue ls and imk job with a queue folder that is a link', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'imk-cli-linked-queue-'));
    const elsewhere = join(root, 'big-disk', 'karaoke');
    await mkdir(elsewhere, { recursive: true });
    await mkdir(join(root, 'queues'), { recursive: true });
    await symlink(elsewhere, join(root, 'queues', 'karaoke'));
    await writeFile(join(root, 'song.wav'), Buffer.alloc(64));
    await publishBundle({
      queueDir: elsewhere,
      job: { job_id: 'linked_001', source_type: 'local', audio_path: 'song.wav' },
      files: [{ name: 'song.wav', source: join(root, 'song.wav') }],
    });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('lists the linked queue with its ready job, as the dashboard does', async () => {
    const listed = await imk('queue', 'ls', '--json', '--root', root);
    expect(listed.exitCode, listed.stderr).toBe(0);
    const rows = JSON.parse(listed.stdout) as { queue: string; ready: number }[];
    expect(rows.map((r) => r.queue)).toEqual(['youtube_audio', 'youtube_video', 'other', 'karaoke']);
    expect(rows.find((r) => r.queue === 'karaoke')).toMatchObject({ ready: 1 });
  });

  it('finds a job in the linked queue', async () => {
    const job = await imk('job', 'linked_001', '--root', root);
    expect(job.exitCode, job.stderr).toBe(0);
    expect(job.stdout).toContain(`ready in ${join(root, 'queues', 'karaoke', 'job_linked_001')}`);
  });
});

// A ready name at the top of a queue that is a link to a bundle elsewhere (`queues/other/job_x -> /data/x`)
// is no job: a worker rejects it, but until then `imk job`, `imk queue ls` and the dashboard followed it
// and showed the tags of that job.json from elsewhere. Only real folders are jobs, in every listing.
describe('a ready job name at the top of a queue that is a link to a bundle elsewhere', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'imk-cli-linked-job-'));
    const elsewhere = join(root, 'elsewhere');
    await mkdir(join(root, 'queues', 'other'), { recursive: true });
    await writeFile(join(root, 'song.wav'), Buffer.alloc(64));
    await publishBundle({
      queueDir: elsewhere,
      job: {
        job_id: 'elsewhere_1',
        source_type: 'local',
        audio_path: 'song.wav',
        title: 'Tag From Elsewhere',
      },
      files: [{ name: 'song.wav', source: join(root, 'song.wav') }],
    });
    await symlink(join(elsewhere, 'job_elsewhere_1'), join(root, 'queues', 'other', 'job_elsewhere_1'));
    await symlink(join(elsewhere, 'job_elsewhere_1'), join(root, 'queues', 'other', 'job_elsewhere_2.tmp'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('is not counted, found nor shown by imk queue ls and imk job', async () => {
    const listed = await imk('queue', 'ls', '--json', '--root', root);
    expect(listed.exitCode, listed.stderr).toBe(0);
    const rows = JSON.parse(listed.stdout) as { queue: string; ready: number; tmp: number }[];
    expect(rows.find((r) => r.queue === 'other')).toMatchObject({ ready: 0, tmp: 0 });
    const job = await imk('job', 'elsewhere_1', '--root', root);
    expect(job.stdout + job.stderr).not.toContain('Tag From Elsewhere');
    expect(job.stdout).not.toContain('ready in');
  });

  it('is not listed by the queue reader the dashboard and the ledger use, and is named as left out', async () => {
    const told: string[] = [];
    const entries = await listQueueJobs(join(root, 'queues', 'other'), {
      onNotFolder: (dir, kind) => told.push(`${dir} is ${kind}`),
    });
    expect(entries).toEqual([]);
    expect(told.sort()).toEqual([
      `${join(root, 'queues', 'other', 'job_elsewhere_1')} is a symbolic link`,
      `${join(root, 'queues', 'other', 'job_elsewhere_2.tmp')} is a symbolic link`,
    ]);
    expect(await findJobFolders(join(root, 'queues', 'other'), 'elsewhere_1')).toEqual([]);
  });
});
