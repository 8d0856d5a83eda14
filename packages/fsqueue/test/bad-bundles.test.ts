import { mkdir, readFile, readdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Buffer } from '@imk/fs-safe';
import { publishTiny, tempRoot } from './helpers.ts';
import { startConsumer, stopAll, type ConsumerProcess } from './processes.ts';

let root: string;
let cleanup: () => Promise<void>;
let queueDir: string;
const started: ConsumerProcess[] = [];

/** Writes a bundle by hand (as a careless producer might), then publishes it with one rename. */
async function handMade(
  id: string,
  jobJson: string | undefined,
  files: Record<string, string> = {},
): Promise<string> {
  const tmp = join(queueDir, `job_${id}.tmp`);
  await mkdir(tmp, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(tmp, name), content);
  if (jobJson !== undefined) await writeFile(join(tmp, 'job.json'), jobJson);
  await rename(tmp, join(queueDir, `job_${id}`));
  return join(queueDir, `job_${id}`);
}

const job = (id: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ job_id: id, source_type: 'local', audio_path: 'audio.m4a', ...extra });

/** Each bad bundle, and a word its rejection reason must contain. */
const CASES: [id: string, reason: RegExp][] = [
  ['invalid_json', /not valid JSON/],
  ['no_job_json', /job\.json is missing/],
  ['missing_field', /source_type/],
  ['wrong_type', /title/],
  ['absolute_path', /absolute path/],
  ['dot_dot', /\.\./],
  ['symlink_out', /symbolic link that leaves the bundle/],
  ['missing_media', /missing from the bundle/],
  ['sha_mismatch', /sha256/],
  ['id_mismatch', /job_id/],
];

beforeAll(async () => {
  ({ root, cleanup } = await tempRoot('imk-bad-'));
  queueDir = join(root, 'queues', 'other');
  const outside = join(root, 'secret.txt');
  await writeFile(outside, 'not for the queue');
  const audio = { 'audio.m4a': 'sound' };
  await handMade('invalid_json', '{"job_id": "invalid_json", ', audio);
  await handMade('no_job_json', undefined, audio);
  await handMade(
    'missing_field',
    // With schema_version (ours): the earlier version's documents are read leniently (protocol legacy.test.ts).
    JSON.stringify({ schema_version: 1, job_id: 'missing_field', audio_path: 'audio.m4a' }),
    audio,
  );
  await handMade('wrong_type', job('wrong_type', { schema_version: 1, title: 42 }), audio);
  await handMade('absolute_path', job('absolute_path', { audio_path: '/etc/passwd' }), audio);
  await handMade('dot_dot', job('dot_dot', { audio_path: '../secret.txt' }), audio);
  const linked = await handMade('symlink_out', job('symlink_out'));
  await symlink(outside, join(linked, 'audio.m4a'));
  await handMade('missing_media', job('missing_media'));
  const files = [{ path: 'audio.m4a', sha256: sha256Buffer('other sound'), bytes: 5 }];
  await handMade('sha_mismatch', job('sha_mismatch', { files }), audio);
  await handMade('id_mismatch', job('someone_else'), audio);
  await publishTiny(queueDir, 'good_one');
});
afterAll(async () => {
  await stopAll(started);
  await cleanup();
});

describe('bad bundles', () => {
  it('are each rejected with a reason file, kept whole, and the consumer carries on', async () => {
    const consumer = startConsumer(root, { queueDir, consumerId: 'checker', idleExitMs: 1500 });
    started.push(consumer);
    const result = await consumer.child;
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    // The good job after them was still done.
    expect((await consumer.events()).filter((e) => e.kind === 'completed').map((e) => e.jobId)).toEqual([
      'good_one',
    ]);

    const rejected = (await readdir(join(queueDir, 'rejected'))).sort();
    expect(rejected).toEqual(CASES.map(([id]) => `job_${id}`).sort());
    for (const [id, reason] of CASES) {
      const dir = join(queueDir, 'rejected', `job_${id}`);
      const rejection = JSON.parse(await readFile(join(dir, 'imk-rejection.json'), 'utf8')) as {
        job_id: string;
        problems: { path: string; message: string }[];
      };
      expect(rejection.job_id).toBe(id);
      const text = rejection.problems.map((p) => `${p.path}: ${p.message}`).join('\n');
      expect(text, `rejection of ${id}`).toMatch(reason);
      // Nothing deleted: the producer's files are all still there.
      const names = await readdir(dir);
      if (id !== 'no_job_json') expect(names).toContain('job.json');
      if (!['symlink_out', 'missing_media'].includes(id)) expect(names).toContain('audio.m4a');
    }
    expect(await readFile(join(queueDir, 'rejected', 'job_symlink_out', 'audio.m4a'), 'utf8')).toBe(
      'not for the queue',
    );
    expect(await readFile(join(root, 'secret.txt'), 'utf8')).toBe('not for the queue');
    expect((await readdir(queueDir)).filter((name) => name.startsWith('job_'))).toEqual([]);
  }, 60_000);
});
