import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { policyOfCode, retryAdviceOf } from '@imk/errors';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('retryAdviceOf: whether a failed job is offered a retry, by its code policy', () => {
  it('offers none for every code of every catalogue whose input or request is at fault, and says what to do', async () => {
    const codes: string[] = [];
    for (const dir of ['packages', 'services'])
      for (const name of await readdir(join(ROOT, dir))) {
        const module = (await import(join(ROOT, dir, name, 'src/errors.ts')).catch(() => undefined)) as
          Record<string, unknown> | undefined;
        for (const value of Object.values(module ?? {}))
          if (typeof value === 'object' && value !== null) codes.push(...Object.keys(value));
      }
    const atFault = codes.filter((code) => {
      const policy = policyOfCode(code);
      return (
        policy !== undefined &&
        !policy.retryable &&
        policy.personFix === undefined &&
        [400, 404, 410, 422].includes(policy.httpStatus)
      );
    });
    expect(atFault).toContain('MEDIA_UNREADABLE');
    expect(atFault).toContain('SIDECAR_INVALID');
    for (const code of atFault) {
      const advice = retryAdviceOf(code);
      expect(advice.canRetry, code).toBe(false);
      expect(advice.advice, code).toMatch(/replace the file/);
    }
  });

  const atFaultButFixable = () =>
    ['INPUT_TOO_LONG', 'VIDEO_UNREADABLE', 'MEDIA_PROBE_TIMEOUT', 'MEDIA_UNREADABLE'].filter(
      (code) => policyOfCode(code)?.personFix !== undefined,
    );

  it('offers a retry for passing trouble, after a fix for a missing tool, and for a code no catalogue names', () => {
    expect(retryAdviceOf('FFMPEG_FAILED')).toEqual({ canRetry: true });
    expect(retryAdviceOf('TOOL_MISSING')).toMatchObject({
      canRetry: true,
      advice: expect.stringMatching(/imk doctor/),
    });
    expect(retryAdviceOf('NOT_A_KNOWN_CODE')).toEqual({ canRetry: true });
    // A permanent code a person fixes by a setting or in the failed bundle (README: INPUT_TOO_LONG).
    expect(atFaultButFixable()).toEqual(
      expect.arrayContaining(['INPUT_TOO_LONG', 'VIDEO_UNREADABLE', 'MEDIA_PROBE_TIMEOUT']),
    );
    expect(retryAdviceOf('INPUT_TOO_LONG')).toMatchObject({
      canRetry: true,
      advice: expect.stringMatching(/raise maxDurationSec .*then retry/),
    });
    expect(retryAdviceOf(undefined)).toEqual({ canRetry: true });
  });
});
