// STYLE 15: an error carries its policy. Sync used to keep its own errno list (EACCES, EPERM, EROFS) beside
// the worker's PERMANENT_ERRNO (EACCES, EPERM, ELOOP, EISDIR, ENOTDIR, ENAMETOOLONG), and its isRetryable
// ignored another package's error's own word: an fs-safe refusal (a FIFO, retryable: false) was retried
// every pass, and a file where a destination folder must be (ENOTDIR) counted as "destination unreachable",
// which stopped every other delivery to that NAS, pass after pass.
import { execFile } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImkError, errnoRetryable } from '@imk/errors';
import { openUntrusted } from '@imk/fs-safe';
import { ReceiptStore, createSyncEngine, isRetryable } from '../src/index.ts';
import { fromFsError } from '../src/errors.ts';
import { writeJob } from './fixtures.ts';
import { tempDir, testLogger } from './helpers.ts';

const errno = (code: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: something`), { code });

const ERRNOS = ['EACCES', 'EPERM', 'EROFS', 'ELOOP', 'EISDIR', 'ENOTDIR', 'ENAMETOOLONG'];
const PASSING = ['ENOENT', 'EIO', 'ESTALE', 'ENOSPC', 'ECONNRESET', 'ETIMEDOUT', 'EBUSY'];

let dir: { path: string; remove(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir('imk-error-policy-');
});
afterEach(async () => {
  await dir.remove();
});

describe('one errno policy (@imk/errors), asked by sync as by the worker', () => {
  it.each(ERRNOS)('%s is final, as a raw error and as sync made it from a destination error', (code) => {
    expect(errnoRetryable(errno(code))).toBe(false);
    expect(isRetryable(errno(code))).toBe(false);
    const made = fromFsError(errno(code), '/nas/Music/a.m4a');
    expect(isRetryable(made)).toBe(false);
    // Said by its code, whose catalogue policy is final: never a TRANSFER_FAILED (retried) told otherwise.
    expect(made.code).not.toBe('TRANSFER_FAILED');
    expect(made.message).toContain('/nas/Music/a.m4a');
  });

  it.each(PASSING)('%s may pass: retried with backoff', (code) => {
    expect(errnoRetryable(errno(code))).toBeUndefined();
    expect(isRetryable(errno(code))).toBe(true);
    expect(isRetryable(fromFsError(errno(code), '/nas/Music/a.m4a'))).toBe(true);
  });
});

// Sync kept its own ENOSPC/EDQUOT list beside @imk/errors' isNoSpace: a full disk said by an error that
// wraps the errno (a stream's, a write helper's) was reported as TRANSFER_FAILED, not "the NAS is full".
describe('a full destination is told by @imk/errors (isNoSpace), the one list', () => {
  it.each(['ENOSPC', 'EDQUOT'])(
    '%s, raw or wrapped, is REMOTE_FULL naming the file and what to do',
    (code) => {
      const wrapped = new Error('write failed', { cause: errno(code) });
      for (const error of [errno(code), wrapped]) {
        const made = fromFsError(error, '/nas/Music/a.m4a');
        expect(made.code).toBe('REMOTE_FULL');
        expect(made.message).toMatch(/\/nas\/Music\/a\.m4a.*free space/);
        expect(isRetryable(made)).toBe(true);
      }
    },
  );
});

describe("sync asks the error for its own word, whoever's it is", () => {
  it('a refusal of another package (fs-safe: a FIFO) is final, not retried each pass', async () => {
    const fifo = join(dir.path, 'a.m4a');
    await promisify(execFile)('mkfifo', [fifo]);
    const refused = await openUntrusted(fifo).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ImkError);
    expect(isRetryable(refused)).toBe(false);
    expect(isRetryable(new ImkError('SOME_OTHER_PACKAGE_CODE', 'x', { retryable: false }))).toBe(false);
    expect(isRetryable(new ImkError('SOME_OTHER_PACKAGE_CODE', 'x', { retryable: true }))).toBe(true);
    // Unknown and unsaid: retried (giving up on a passing fault would lose a delivery).
    expect(isRetryable(new ImkError('SOME_OTHER_PACKAGE_CODE', 'x'))).toBe(true);
    // Sync's own codes keep their catalogue policy.
    expect(isRetryable(new ImkError('UNREACHABLE', 'x'))).toBe(true);
    expect(isRetryable(new ImkError('AUTH_FAILED', 'x'))).toBe(false);
  });

  it('a file where one destination folder must be fails that file for good; the NAS takes the others', async () => {
    const outputs = join(dir.path, 'outputs');
    const nas = join(dir.path, 'nas');
    await writeJob(outputs, {
      jobId: 'a1',
      artist: 'Blocked',
      artifacts: [{ path: 'files/audio/a.m4a' }],
    });
    await writeJob(outputs, { jobId: 'b1', artist: 'Free', artifacts: [{ path: 'files/audio/b.m4a' }] });
    await mkdir(nas, { recursive: true });
    // "Blocked" is a file on the NAS, so Blocked/<title>/a.m4a cannot be made (ENOTDIR below it).
    await writeFile(join(nas, 'Blocked'), 'not a folder');
    const receipts = ReceiptStore.open({ file: join(dir.path, 'state', 'nas-sync.sqlite') })!;
    try {
      const engine = createSyncEngine({
        outputsDir: outputs,
        receipts,
        remoteRoots: { audio: nas },
        backends: { nas: { type: 'local', fsync: false } },
        routes: [
          {
            name: undefined,
            match: { kind: 'audio' },
            to: '${remoteRoots.audio}/{artist}/{title}/',
            backend: 'nas',
          },
        ],
        logger: testLogger(),
        concurrency: 1,
        retry: { attemptsPerPass: 1, initialDelaySec: 60, maxDelaySec: 600 },
      });
      const summary = await engine.runPass();
      const failed = summary.outcomes.filter((o) => o.status === 'failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ final: true });
      expect(failed[0]?.errorCode).not.toBe('UNREACHABLE');
      expect(failed[0]?.error).toContain(join(nas, 'Blocked'));
      // The other artist's file arrived in the same pass.
      expect(summary.delivered).toBe(1);
      expect(await readdir(join(nas, 'Free', 'Title b1'))).toEqual(['b.m4a']);
    } finally {
      receipts.close();
    }
  });
});
