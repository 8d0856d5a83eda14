import { describe, expect, it } from 'vitest';
import { ImkError, errorMessage, isImkError } from './imk-error.ts';

describe('ImkError', () => {
  it('keeps a stable code, the cause and details', () => {
    const cause = new Error('EACCES: permission denied');
    const error = new ImkError('QUEUE_NOT_WRITABLE', 'queue folder queues/other is not writable', {
      cause,
      details: { queue: 'other' },
    });
    expect(isImkError(error, 'QUEUE_NOT_WRITABLE')).toBe(true);
    expect(isImkError(error, 'OTHER')).toBe(false);
    expect(error.cause).toBe(cause);
    expect(errorMessage(error)).toBe('queue folder queues/other is not writable: EACCES: permission denied');
  });

  it('turns any thrown value into a message', () => {
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(new Error('x', { cause: new Error('x') }))).toBe('x');
  });
});
