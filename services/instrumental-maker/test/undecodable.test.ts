import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeUndecodableWav } from '@imk/media/testing';
import { imk, jobDetail, makeRoot, publishV1, removeRoot } from './helpers.ts';

let root: string;

beforeAll(async () => {
  root = await makeRoot({
    pollMs: 100,
    variants: ['instrumental'],
    retry: { maxAttempts: 3, backoffMs: 100 },
  });
});
afterAll(() => removeRoot(root));

describe('an input ffmpeg cannot decode', () => {
  it('fails the job at once in the decode stage, with the reason, not retried', async () => {
    const song = join(root, 'odd.wav');
    await writeUndecodableWav(song);
    await publishV1(
      root,
      'other',
      { job_id: 'odd', source_type: 'local', title: 'Odd', audio_path: 'odd.wav' },
      {
        'odd.wav': song,
      },
    );
    const result = await imk(['run', '--once', '--root', root]);
    expect(JSON.parse(String(result.stdout))).toMatchObject({ failed: 1, retried: 0 });
    const detail = await jobDetail(root, 'odd');
    expect(detail.job).toMatchObject({ state: 'failed', attempts: 1 });
    expect(detail.errors[0]).toMatchObject({ stage: 'decode', retryable: false });
    expect(detail.errors[0]!.message).toMatch(/ffmpeg could not decode .*odd\.wav.*\[MEDIA_DECODE_FAILED\]/);
    // The bundle is kept in failed/ with the reason beside it.
    const failed = join(root, 'queues', 'other', 'failed', 'job_odd');
    const error = JSON.parse(await readFile(join(failed, 'imk-error.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(error).toMatchObject({ stage: 'decode', retryable: false, attempt: 1 });
    expect(await readFile(join(failed, 'odd.wav'))).toHaveLength(8044);
  }, 120_000);
});
