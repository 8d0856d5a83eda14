import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { createQueue, listRejected, readRejection, type Queue, type Rejection } from '../src/index.ts';
import { tempRoot } from './helpers.ts';

// A rejection is read alone (imk-rejection.json in rejected/, a log line, the dashboard's row): it must say
// which job, by id and by artist and title when job.json has them, as a failed job's error does.
let root: string;
let cleanup: () => Promise<void>;
let queueDir: string;
let queue: Queue | undefined;

beforeEach(async () => {
  ({ root, cleanup } = await tempRoot('imk-reject-names-'));
  queueDir = join(root, 'queues', 'other');
});
afterEach(async () => {
  await queue?.close();
  queue = undefined;
  await cleanup();
});

async function handMade(id: string, jobJson: string, files: Record<string, string> = {}): Promise<void> {
  const tmp = join(queueDir, `job_${id}.tmp`);
  await mkdir(tmp, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(tmp, name), content);
  await writeFile(join(tmp, 'job.json'), jobJson);
  await rename(tmp, join(queueDir, `job_${id}`));
}

async function rejectionFile(id: string): Promise<Record<string, unknown>> {
  const folder = (await readdir(join(queueDir, 'rejected'))).find(
    (name) => name === `job_${id}` || name.startsWith(`job_${id}@`),
  );
  expect(folder).toBeDefined();
  const text = await readFile(join(queueDir, 'rejected', folder!, 'imk-rejection.json'), 'utf8');
  return JSON.parse(text) as Record<string, unknown>;
}

describe('a rejected bundle', () => {
  it('is named by id, artist and title in imk-rejection.json, the onReject hook and the log', async () => {
    const job = (id: string, extra: Record<string, unknown>) =>
      JSON.stringify({ job_id: id, source_type: 'local', audio_path: 'a.m4a', ...extra });
    await handMade(
      'bad_priority',
      job('bad_priority', { artist: 'Björk', title: 'Jóga', options: { priority: 1e308 } }),
      {
        'a.m4a': 'sound',
      },
    );
    await handMade('no_media', job('no_media', { title: 'Only A Title' }));
    await handMade('not_json', '{"job_id": "not_json", "title": "Lost"');
    // A current job.json (schema_version 1) is strict; one without it is the earlier version's, whose numeric
    // title is read as text (protocol's legacy reading), so it would not be rejected.
    await handMade('wrong_title', job('wrong_title', { schema_version: 1, artist: 'Someone', title: 42 }), {
      'a.m4a': 'sound',
    });
    // A field in a list, and a file job.json names that is not what it says: each said with its file.
    await handMade(
      'bad_track',
      job('bad_track', {
        schema_version: 1,
        title: 'Tracks',
        tracks: [{ title: 7 }],
        files: [{ path: 'a.m4a', sha256: 'a'.repeat(64), bytes: 99 }],
      }),
      { 'a.m4a': 'sound' },
    );
    await handMade(
      'bad_hash',
      job('bad_hash', { schema_version: 1, files: [{ path: 'a.m4a', sha256: 'a'.repeat(64), bytes: 5 }] }),
      { 'a.m4a': 'sound' },
    );

    const lines = new PassThrough();
    let log = '';
    lines.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const heard: Rejection[] = [];
    queue = createQueue({
      queueDir,
      watch: false,
      maintenance: false,
      logger: createLogger('test', { destination: lines }),
      onReject: (rejection) => void heard.push(rejection),
    });
    // Each claim() rejects at most one bundle and then answers undefined.
    for (let i = 0; i < 8; i++) expect(await queue.claim()).toBeUndefined();

    // The reason names the file and the field (`job.json: tracks[0].title: …`), not the field alone.
    const expected: Record<string, RegExp> = {
      bad_priority:
        /^job bad_priority \("Björk - Jóga"\): job\.json: options\.priority: must be between -100 and 100$/,
      no_media: /^job no_media \("Only A Title"\): job\.json: audio_path: .*missing/,
      not_json: /^job not_json: job\.json is not valid JSON/,
      wrong_title: /^job wrong_title \("Someone"\): job\.json: title: /,
      bad_track: /^job bad_track \("Tracks"\): job\.json: tracks\[0\]\.title: .*expected string/,
      bad_hash:
        /^job bad_hash: job\.json: files\[0\]\.sha256: a\.m4a has sha256 [0-9a-f]{64}, job\.json says a{64}/,
    };
    for (const [id, reason] of Object.entries(expected)) {
      const file = await rejectionFile(id);
      expect(file.reason).toMatch(reason);
      expect(heard.find((r) => r.jobId === id)?.reason).toBe(file.reason);
      expect(log).toContain(JSON.stringify(file.reason).slice(1, -1));
    }
  });

  it('written before imk-rejection.json had a reason is still named from its job.json', async () => {
    const dir = join(queueDir, 'rejected', 'job_older@tok');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'job.json'), JSON.stringify({ job_id: 'older', artist: 'A', title: 'T' }));
    await writeFile(
      join(dir, 'imk-rejection.json'),
      JSON.stringify({
        job_id: 'older',
        status: 'rejected',
        problems: [{ path: 'source_type', message: 'missing' }],
      }),
    );
    const [folder] = await listRejected(queueDir);
    expect((await readRejection(folder!)).reason).toBe('job older ("A - T"): source_type: missing');
  });
});
