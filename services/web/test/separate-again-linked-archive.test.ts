import { cp, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { makeOutput, quietLogger, tempRoot } from './helpers.ts';

// Queue folders are shared with producers, so anyone who can publish can also put a symbolic link into a
// queue's succeeded/ archive, named like a finished job. fsqueue listed such a link as the job's archived
// bundle, and "Separate again" copied every file of the folder it led to (a private folder of this host)
// into a new bundle in the queue. Only real folders are a job's archive now.
let cleanup: () => Promise<void>;
let root: string;
let web: RunningWeb;
const stop = new AbortController();

/** A folder outside the queues that looks like the bundle of `id`, and a link to it in succeeded/ as `name`. */
async function plantLink(id: string, name: string): Promise<void> {
  const elsewhere = join(root, 'private', id);
  await mkdir(elsewhere, { recursive: true });
  await cp(
    join(root, 'outputs', id, 'files', 'audio', 'Test Artist - Sine Song.m4a'),
    join(elsewhere, 'song.m4a'),
  );
  await writeFile(join(elsewhere, 'private-notes.txt'), 'not for any queue');
  await writeFile(
    join(elsewhere, 'job.json'),
    JSON.stringify({ job_id: id, source_type: 'local', title: 'Sine Song', audio_path: 'song.m4a' }),
  );
  const archive = join(root, 'queues', 'other', 'succeeded');
  await mkdir(archive, { recursive: true });
  await symlink(elsewhere, join(archive, name));
}

beforeAll(async () => {
  ({ root, cleanup } = await tempRoot());
  await makeOutput(root, 'plain_link');
  await makeOutput(root, 'token_link');
  await plantLink('plain_link', 'job_plain_link');
  await plantLink('token_link', 'job_token_link@w1.abc');
  web = await listenWeb({ root, logger: quietLogger(), signal: stop.signal, overrides: { port: 0 } });
});

afterAll(async () => {
  stop.abort();
  await web.closed;
  await cleanup();
});

describe('"Separate again" when succeeded/ holds a link named like the job', () => {
  it('does not take the folder the link leads to for the archived bundle: nothing of it is queued', async () => {
    for (const id of ['plain_link', 'token_link']) {
      const answer = await fetch(`${web.url}/api/jobs/${id}/separate-again`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      const body = (await answer.json()) as { error: string; message: string };
      expect(answer.status, id).toBe(410);
      expect(body.error, id).toBe('SOURCE_GONE');
    }
    const queued = (await readdir(join(root, 'queues', 'other'))).filter((name) => name.startsWith('job_'));
    expect(queued).toEqual([]);
  });
});
