// A ready name at the top of a queue that is a link to a bundle elsewhere (`queues/other/job_x -> /data/x`)
// is no job: a worker rejects it, but until then the dashboard followed it and showed the artist and title
// of that job.json from elsewhere. Only real folders are jobs in every listing of a queue (fsqueue's one).
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishBundle } from '@imk/fsqueue';
import { tempRootServedLater } from './helpers.ts';

const late = tempRootServedLater();

describe('a ready job name that is a link to a bundle elsewhere', () => {
  it('is not shown by the dashboard (overview, job list, job page), nor its tags', async () => {
    const { root } = late;
    const elsewhere = join(root, 'elsewhere');
    await mkdir(join(root, 'queues', 'other'), { recursive: true });
    await writeFile(join(root, 'song.wav'), Buffer.alloc(64));
    await publishBundle({
      queueDir: elsewhere,
      job: { job_id: 'far_1', source_type: 'local', audio_path: 'song.wav', title: 'Tag From Elsewhere' },
      files: [{ name: 'song.wav', source: join(root, 'song.wav') }],
    });
    await symlink(join(elsewhere, 'job_far_1'), join(root, 'queues', 'other', 'job_far_1'));
    const web = await late.serve();

    const status = await (await fetch(`${web.url}/api/status`)).text();
    const jobs = await (await fetch(`${web.url}/api/jobs`)).text();
    const page = await fetch(`${web.url}/api/jobs/far_1`);
    for (const body of [status, jobs, await page.text()]) expect(body).not.toContain('Tag From Elsewhere');
    expect(page.status).toBe(404);
    const counts = (JSON.parse(status) as { queues: { queue: string; ready: number }[] }).queues;
    expect(counts.find((q) => q.queue === 'other')?.ready).toBe(0);
  });
});
