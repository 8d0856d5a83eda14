import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMK, makeRoot, makeSong, publishV1, removeRoot } from './helpers.ts';

// A write past the file size limit (`ulimit -f`, as a full disk stops a write) killed the worker process
// itself by SIGXFSZ (exit 153): its job stayed claimed with no reason anywhere, and came back only when
// its lease expired, to die again. An ffmpeg killed that way failed as "exit undefined"; a write by the
// worker said "EFBIG: file too large, write" without the file. Now each job fails with its error file
// naming the file and the limit, its bundle kept, nothing half-made in outputs/, and the worker exits 1.
// Two jobs: one stopped writing the decoded mixture (in the worker), one writing its 96 kHz/32-bit output
// (in ffmpeg, at publishing time: the decoded mixture fits under the limit, the output does not).
let root: string;

beforeAll(async () => {
  root = await makeRoot({
    pollMs: 100,
    variants: ['instrumental'],
    output: { format: 'wav' },
    retry: { maxAttempts: 1 },
  });
  await makeSong(join(root, 'song.m4a'), 3, 1);
  await makeSong(join(root, 'short.m4a'), 1, 2);
  const job = { source_type: 'local', artist: 'A' };
  await publishV1(
    root,
    'other',
    { ...job, job_id: 'long_song', title: 'Long', audio_path: 'song.m4a' },
    {
      'song.m4a': join(root, 'song.m4a'),
    },
  );
  const big = { output_format: 'wav', sample_rate: 96000, bit_depth: 32 };
  await publishV1(
    root,
    'other',
    { ...job, job_id: 'big_output', title: 'Big', audio_path: 'short.m4a', options: big },
    { 'short.m4a': join(root, 'short.m4a') },
  );
}, 60_000);
afterAll(() => removeRoot(root));

const failed = (id: string) => join(root, 'queues', 'other', 'failed', `job_${id}`);
const errorOf = async (id: string) =>
  JSON.parse(await readFile(join(failed(id), 'imk-error.json'), 'utf8')) as {
    message: string;
    stage: string;
  };

describe('a write past the file size limit (ulimit -f)', () => {
  it('fails each job naming the file, keeps its bundle, publishes nothing, and the worker lives on', async () => {
    // 700 KiB per file: a 1-s song's float mixture (353 KiB) fits, a 3-s one's (1 MiB) and the 96 kHz
    // 32-bit output of the 1-s one (750 KiB) do not. The worker is bash's child, under its limit.
    const result = await execa(
      'bash',
      ['-c', 'ulimit -f 700; exec "$0" "$@"', IMK, 'run', '--once', '--root', root],
      { reject: false, all: true, env: { IMK_LOG_LEVEL: 'warn' } },
    );
    expect(result.exitCode, String(result.all)).toBe(1);
    expect(JSON.parse(String(result.stdout))).toMatchObject({ succeeded: 0, failed: 2 });

    const mixture = await errorOf('long_song');
    expect(mixture.message).toMatch(
      /cannot write \S*long_song\S*\/mixture\.wav: the file size limit was reached/,
    );
    const output = await errorOf('big_output');
    expect(output.stage).toBe('encode');
    expect(output.message).toContain('A - Big.wav');
    expect(output.message).toContain('the file size limit was reached writing its output');
    for (const id of ['long_song', 'big_output'])
      expect((await readdir(failed(id))).sort()).toEqual(
        expect.arrayContaining(['imk-error.json', 'job.json']),
      );
    expect(await readdir(join(root, 'outputs')).catch(() => [])).toEqual([]);
  }, 120_000);
});
