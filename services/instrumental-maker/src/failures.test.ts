import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImkError } from '@imk/errors';
import { publishBundle } from '@imk/fsqueue';
import { createWavWriter, readStemManifest } from '@imk/media';
import '@imk/separation';
import './errors.ts';
import { isRetryable } from './failures.ts';

describe('isRetryable', () => {
  it("asks the error: its code's catalogue policy, or its own word", () => {
    expect(isRetryable(new ImkError('MEDIA_UNREADABLE', 'not audio'))).toBe(false);
    expect(isRetryable(new ImkError('MODEL_MISSING', 'no model'))).toBe(false);
    expect(isRetryable(new ImkError('SIDECAR_INVALID', 'bad sidecar'))).toBe(false);
    expect(isRetryable(new ImkError('FFMPEG_FAILED', 'ffmpeg crashed'))).toBe(true);
    expect(isRetryable(new ImkError('ENGINE_FAILED', 'engine crashed'))).toBe(true);
    expect(isRetryable(new ImkError('MEDIA_REFUSED', 'a FIFO', { retryable: false }))).toBe(false);
    // The error's own word beats its code's policy.
    expect(
      isRetryable(
        new ImkError('FFMPEG_FAILED', 'x', { cause: new ImkError('X', 'y', { retryable: false }) }),
      ),
    ).toBe(false);
  });

  it('retries the unknown (a bug) but not a file condition another attempt will meet again', () => {
    expect(isRetryable(new Error('bug'))).toBe(true);
    expect(isRetryable(new ImkError('SOMETHING_NEW', 'x'))).toBe(true);
    expect(isRetryable(Object.assign(new Error('denied'), { code: 'EACCES' }))).toBe(false);
    expect(isRetryable(Object.assign(new Error('gone'), { code: 'ENOENT' }))).toBe(true);
  });

  it('reads an errno by the one errno policy nas-sync uses too (@imk/errors)', () => {
    // A read-only outputs disk needs a person as much as a permission does; the worker used to retry it.
    for (const code of ['EACCES', 'EPERM', 'EROFS', 'ELOOP', 'EISDIR', 'ENOTDIR', 'ENAMETOOLONG'])
      expect(isRetryable(Object.assign(new Error(code), { code })), code).toBe(false);
    for (const code of ['ENOENT', 'EIO', 'ENOSPC', 'EBUSY'])
      expect(isRetryable(Object.assign(new Error(code), { code })), code).toBe(true);
  });
});

/** The error a call throws (synchronously or not). */
async function thrown(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('it did not throw');
}

// Failures another attempt meets again: the worker fails the job at once instead of retrying it.
describe('isRetryable: failures that are the same on every attempt', () => {
  it('WAV_INVALID_OPTIONS (a channel count or rate that is not a positive integer)', async () => {
    const error = await thrown(() =>
      createWavWriter(join(tmpdir(), 'never.wav'), { channels: 0, sampleRate: 44100 }),
    );
    expect((error as ImkError).code).toBe('WAV_INVALID_OPTIONS');
    expect(isRetryable(error)).toBe(false);
  });

  it('MP4_CORRUPT and MP4_BOX_TOO_LARGE (boxes of the file ffmpeg wrote: it writes the same ones again)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imk-failures-'));
    try {
      const file = join(dir, 'cut.stem.mp4');
      const header = Buffer.alloc(64);
      header.writeUInt32BE(1000, 0); // an ftyp box claiming more bytes than the file has
      header.write('ftyp', 4, 'latin1');
      await writeFile(file, header);
      const error = await thrown(() => readStemManifest(file));
      expect((error as ImkError).code).toBe('MP4_CORRUPT');
      expect(isRetryable(error)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(isRetryable(new ImkError('MP4_BOX_TOO_LARGE', "box 'moov' would exceed 4 GiB"))).toBe(false);
  });

  it('MEDIA_DECODE_FAILED when ffmpeg could not decode the file, not when it was killed', () => {
    expect(isRetryable(new ImkError('MEDIA_DECODE_FAILED', 'ffmpeg could not decode a.m4a'))).toBe(false);
    // decode.ts says a killed ffmpeg as FFMPEG_FAILED (passing trouble), never as the file's code.
    const killed = new ImkError('FFMPEG_FAILED', 'ffmpeg was killed (SIGKILL) while decoding a.m4a');
    expect(isRetryable(killed)).toBe(true);
  });

  it('SOURCE_MISSING (a bundle file whose source is not there)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imk-failures-'));
    try {
      const error = await thrown(() =>
        publishBundle({
          queueDir: join(dir, 'queues', 'other'),
          job: { job_id: 'x', source_type: 'local', audio_path: 'a.m4a' },
          files: [{ name: 'a.m4a', source: join(dir, 'gone.m4a') }],
        }),
      );
      expect((error as ImkError).code).toBe('SOURCE_MISSING');
      expect(isRetryable(error)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
