import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { makeOutput, quietLogger, tempRoot } from './helpers.ts';

// The dashboard reads files others wrote: bundles in the queues and folders in outputs/. A FIFO must not
// hang it, a link must not make it serve another folder, a 200k-deep job.json must not make it answer 500.
let root: string;
let cleanup: () => Promise<void>;
let web: RunningWeb;
const stop = new AbortController();

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
  web = await listenWeb({ root, logger: quietLogger(), signal: stop.signal, overrides: { port: 0 } });
});
afterAll(async () => {
  stop.abort();
  await web.closed;
  await cleanup();
});

const get = (path: string) => fetch(`${web.url}${path}`, { signal: AbortSignal.timeout(10_000) });

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
