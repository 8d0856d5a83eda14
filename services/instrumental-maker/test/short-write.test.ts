import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMK, makeRoot, makeSong, publishV1, removeRoot } from './helpers.ts';

// A disk that fills part-way through a write takes what fits and answers with that count; only the next
// write fails. When the write cut short was a file's last, the worker went on with a file shorter than its
// header said, and nothing reported it: here a 2.5-s song was published as a success with a 2.03-s
// instrumental (the decoded mixture was cut), and on a filling tmpfs a job failed as "stems and mixture
// differ in length [STEM_LENGTH_MISMATCH]" without naming the disk. `ulimit -f` cuts a write short the same
// way on any filesystem. The song's float mixture is 882 kB: its second and last block crosses a 700 KiB
// limit part-way, and no third write is left to fail.
let root: string;

beforeAll(async () => {
  root = await makeRoot({
    pollMs: 100,
    variants: ['instrumental'],
    output: { format: 'wav' },
    retry: { maxAttempts: 1 },
  });
  await makeSong(join(root, 'song.m4a'), 2.5, 1);
  await publishV1(
    root,
    'other',
    { source_type: 'local', artist: 'A', job_id: 'cut_short', title: 'Cut', audio_path: 'song.m4a' },
    { 'song.m4a': join(root, 'song.m4a') },
  );
}, 60_000);
afterAll(() => removeRoot(root));

describe('a file whose last write the disk cuts short', () => {
  it('fails the job naming that file and why, at the stage that wrote it', async () => {
    const result = await execa(
      'bash',
      ['-c', 'ulimit -f 700; exec "$0" "$@"', IMK, 'run', '--once', '--root', root],
      { reject: false, all: true, env: { IMK_LOG_LEVEL: 'warn' } },
    );
    expect(result.exitCode, String(result.all)).toBe(1);
    const failed = join(root, 'queues', 'other', 'failed', 'job_cut_short');
    const error = JSON.parse(await readFile(join(failed, 'imk-error.json'), 'utf8')) as {
      message: string;
      stage: string;
    };
    expect(error.message).toMatch(
      /cannot write \S*cut_short\S*\/mixture\.wav: the file size limit was reached/,
    );
    expect(error.stage).toBe('decode');
    expect(await readdir(failed)).toEqual(expect.arrayContaining(['job.json', 'song.m4a']));
    expect(await readdir(join(root, 'outputs')).catch(() => [])).toEqual([]);
  }, 120_000);
});
