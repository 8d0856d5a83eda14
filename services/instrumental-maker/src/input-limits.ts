import { ImkError } from '@imk/errors';
import type { MediaInfo } from '@imk/media';
import { formatDuration } from '@imk/media/duration-limit';
import './errors.ts';

/** Refuses an input longer than the configured limit (a permanent condition of the input). */
export function checkDuration(info: MediaInfo, name: string, maxSec: number): void {
  const duration = info.audio?.duration_sec ?? info.duration_sec;
  if (duration !== null && duration !== undefined && duration > maxSec)
    throw new ImkError(
      'INPUT_TOO_LONG',
      `${name} lasts ${formatDuration(duration)}, longer than the limit of ${formatDuration(maxSec)} (maxDurationSec in config/instrumental-maker.yaml)`,
      { details: { file: name, duration_sec: duration, max_sec: maxSec } },
    );
}
