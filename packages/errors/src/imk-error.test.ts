import { describe, expect, it } from 'vitest';
import { ImkError, errorMessage, isImkError, markSaidAs } from './imk-error.ts';

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

describe('errorMessage and causes a message already says', () => {
  it('does not repeat a cause noted as said (markSaidAs), nor the wrappers between', () => {
    const root = Object.assign(new Error('/srv/token is a folder, not a regular file'), { code: 'EFTYPE' });
    markSaidAs(root, 'a folder, not a regular file');
    const secret = new ImkError(
      'SECRET_MISSING',
      'cannot read secret file /srv/token (a folder, not a regular file)',
      {
        cause: root,
      },
    );
    expect(errorMessage(secret)).toBe('cannot read secret file /srv/token (a folder, not a regular file)');
    const web = new ImkError(
      'WEB_TOKEN_FILE',
      'cannot read the web token file token: a folder, not a regular file',
      {
        cause: secret,
      },
    );
    expect(errorMessage(web)).toBe('cannot read the web token file token: a folder, not a regular file');
    // A message that does not say it still gets the cause.
    const other = new ImkError('X', 'something failed', { cause: secret });
    expect(errorMessage(other)).toBe(
      'something failed: cannot read secret file /srv/token (a folder, not a regular file)',
    );
  });
});
