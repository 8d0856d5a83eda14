// TEMP_VANISHED explains a cause: the read-back check of our temporary copy failed because another process
// removed it. That cause may say "not retryable" by itself (fs-safe's FILE_MISSING for a file a person named),
// and the error's own word walks causes (retryableOf), so the delivery was marked final and never sent again;
// the clean-clone run of the merged tree failed `temp-vanished.test.ts`'s rclone case that way, when the temp
// went during the check rather than during the move. A new try makes a new temp: TEMP_VANISHED is retried,
// whatever its cause said.
import { describe, expect, it } from 'vitest';
import { ImkError } from '@imk/errors';
import { isRetryable, tempGoneError } from './errors.ts';

describe('TEMP_VANISHED', () => {
  it('is retried even when its cause says a missing file is final', () => {
    const cause = new ImkError('FILE_MISSING', 'Music/.r.m4a.abcd.imk-tmp does not exist', {
      retryable: false,
    });
    const error = tempGoneError('/nas/Music/.r.m4a.abcd.imk-tmp', '/nas/Music/r.m4a', cause);
    expect(error.code).toBe('TEMP_VANISHED');
    expect(isRetryable(error)).toBe(true);
    expect(error.details.final).toBe(false);
  });

  it('is retried with no cause, or a cause that says nothing', () => {
    expect(isRetryable(tempGoneError('/nas/.t.imk-tmp', '/nas/t'))).toBe(true);
    expect(isRetryable(tempGoneError('/nas/.t.imk-tmp', '/nas/t', new Error('object not found')))).toBe(true);
  });
});
