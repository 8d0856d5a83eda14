import { describe, expect, it } from 'vitest';
import { ImkError } from './imk-error.ts';
import { stopCame } from './stop.ts';

describe('stopCame', () => {
  const stopped = AbortSignal.abort(new Error('stopped by SIGINT'));
  const running = new AbortController().signal;
  const aborted = new ImkError('ABORTED', 'aborted while reading the picture of song.mp3');

  it('holds once the stop came, whatever the error says (a tool the Ctrl-C killed exits as if it failed)', () => {
    expect(stopCame(stopped)).toBe(true);
    expect(stopCame(stopped, new ImkError('COVER_UNREADABLE', 'could not read the picture'))).toBe(true);
  });

  it("holds for a stop's ABORTED, also wrapped in another error, before the signal says it", () => {
    expect(stopCame(undefined, aborted)).toBe(true);
    expect(stopCame(running, aborted)).toBe(true);
    const wrapped = new ImkError('COVER_UNREADABLE', 'cover image cover.jpg cannot be read', {
      cause: aborted,
    });
    expect(stopCame(running, wrapped)).toBe(true);
  });

  it("does not hold for a file's own fault while the work runs", () => {
    expect(stopCame(running)).toBe(false);
    expect(stopCame(undefined)).toBe(false);
    expect(stopCame(running, new ImkError('MEDIA_UNREADABLE', 'cannot read media file song.mp3'))).toBe(
      false,
    );
    expect(stopCame(running, new Error('EIO'))).toBe(false);
    expect(stopCame(running, 'ABORTED')).toBe(false);
  });
});
