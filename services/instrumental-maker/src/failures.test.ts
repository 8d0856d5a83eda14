import { describe, expect, it } from 'vitest';
import { ImkError } from '@imk/errors';
import '@imk/media';
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
});
