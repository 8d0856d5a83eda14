import { readFile } from 'node:fs/promises';
import { retryableOf } from '@imk/errors';
import { UntrustedFileError } from '@imk/fs-safe';
import { describe, expect, it } from 'vitest';
import { errorCode, isAbsentErrno, isRetryable, syncError } from '../errors.ts';
import { errorFromWire, errorToWire, type WireError } from './error-wire.ts';

// The local backend's helper process sends its errors over JSON: what the engine reads of them (code,
// retry policy, an absent file's errno, the causes' words) must be what the error said in the helper.
const roundTrip = (error: unknown): Error =>
  errorFromWire(JSON.parse(JSON.stringify(errorToWire(error))) as WireError);

describe('an error carried from the local backend helper', () => {
  it('keeps a sync code, its details and its catalogue policy', () => {
    const sent = syncError('CONFLICT', '/nas/a.m4a already holds a different file', {
      details: { remote_path: 'a.m4a' },
      cause: syncError('UNREACHABLE', 'inner'),
    });
    const got = roundTrip(sent);
    expect(errorCode(got)).toBe('CONFLICT');
    expect(got.message).toBe(sent.message);
    expect(got).toMatchObject({ details: { remote_path: 'a.m4a', final: true } });
    expect(isRetryable(got)).toBe(false);
    expect(errorCode(got.cause)).toBe('UNREACHABLE');
  });

  it('keeps a file-system errno, so an absent file is still absent', async () => {
    const sent = await readFile('/nonexistent/imk-error-wire').catch((error: unknown) => error);
    const got = roundTrip(sent);
    expect(isAbsentErrno(got)).toBe(true);
    expect(got).toMatchObject({ code: 'ENOENT', syscall: 'open', path: '/nonexistent/imk-error-wire' });
  });

  it('keeps an fs-safe refusal as one, with its own word on retrying', () => {
    const sent = new UntrustedFileError(
      'FILE_NOT_REGULAR',
      '/nas/a.m4a is a FIFO',
      '/nas/a.m4a',
      undefined,
      'a FIFO',
    );
    const got = roundTrip(syncError('TRANSFER_FAILED', 'outer', { cause: sent }));
    expect(got.cause).toBeInstanceOf(UntrustedFileError);
    expect(retryableOf(got)).toBe(retryableOf(sent));
    expect(got.cause).toMatchObject({ details: { file: '/nas/a.m4a', kind: 'a FIFO' } });
  });
});
