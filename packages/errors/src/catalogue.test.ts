import { describe, expect, it } from 'vitest';
import { defineErrors } from './catalogue.ts';
import { ImkError, httpStatusOf, isInputFault, isRetryableError } from './imk-error.ts';
import { POLICY } from './policy-registry.ts';

describe('defineErrors', () => {
  defineErrors('test-a', { TEST_INPUT_BAD: POLICY.unprocessable, TEST_PASSING: POLICY.transient });

  it('lets an error answer for its code: retry or not, and the HTTP status', () => {
    const bad = new ImkError('TEST_INPUT_BAD', 'input is bad');
    expect(bad.policy).toEqual({ retryable: false, httpStatus: 422 });
    expect(isRetryableError(bad)).toBe(false);
    expect(httpStatusOf(bad)).toBe(422);
    expect(isRetryableError(new ImkError('TEST_PASSING', 'try again'))).toBe(true);
    expect(isRetryableError(new ImkError('TEST_UNKNOWN', 'no catalogue names this'))).toBeUndefined();
    expect(httpStatusOf(new Error('plain'))).toBeUndefined();
  });

  it("puts an error's own word (on it or a cause) before its code's policy", () => {
    const refused = new ImkError('TEST_REFUSED', 'a FIFO', { retryable: false });
    expect(isRetryableError(new ImkError('TEST_PASSING', 'wrapped', { cause: refused }))).toBe(false);
    expect(isRetryableError(new ImkError('TEST_INPUT_BAD', 'this once', { retryable: true }))).toBe(true);
  });

  it('says the input is at fault by the catalogue (unprocessable), so no throw site has to say it', () => {
    defineErrors('test-d', {
      TEST_DEEP: POLICY.unprocessable,
      TEST_TOOL: POLICY.unavailable,
      TEST_EXISTS: POLICY.conflict,
    });
    // A bundle nested too deep, a link out: the same bytes fail again; set aside with the reason.
    expect(isInputFault(new ImkError('TEST_DEEP', 'job.json nests too deep'))).toBe(true);
    // A missing tool, an existing job, passing trouble, an unknown code: the input is kept where it is.
    expect(isInputFault(new ImkError('TEST_TOOL', 'ffprobe is missing'))).toBe(false);
    expect(isInputFault(new ImkError('TEST_EXISTS', 'job_x exists'))).toBe(false);
    expect(isInputFault(new ImkError('TEST_PASSING', 'try again'))).toBe(false);
    expect(isInputFault(new ImkError('TEST_UNKNOWN', 'no catalogue'))).toBe(false);
    expect(isInputFault(new Error('EIO'))).toBe(false);
    // An error's own word (fs-safe's refusals carry their catalogue's) still counts, on it or a cause.
    const fifo = new ImkError('TEST_FIFO', 'a FIFO', { retryable: false });
    expect(isInputFault(new ImkError('TEST_PASSING', 'wrapped', { cause: fifo }))).toBe(true);
  });

  it('refuses a second, different policy for a code another package already defined', () => {
    expect(() => defineErrors('test-b', { TEST_INPUT_BAD: POLICY.transient })).toThrow(
      /TEST_INPUT_BAD has two policies: test-a says permanent\/422, test-b says retryable\/500/,
    );
    expect(() => defineErrors('test-c', { TEST_INPUT_BAD: POLICY.unprocessable })).not.toThrow();
  });
});
