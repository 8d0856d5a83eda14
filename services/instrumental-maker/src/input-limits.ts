import { ImkError } from '@imk/errors';
import type { MediaInfo } from '@imk/media';
import './errors.ts';

/** Refuses an input longer than the configured limit (a permanent condition of the input). */
export function checkDuration(info: MediaInfo, name: string, maxSec: number): void {
  const duration = info.audio?.duration_sec ?? info.duration_sec;
  if (duration !== null && duration !== undefined && duration > maxSec)
    throw new ImkError(
      'INPUT_TOO_LONG',
      `${name} lasts ${formatSeconds(duration)}, longer than the limit of ${formatSeconds(maxSec)} (maxDurationSec in config/instrumental-maker.yaml)`,
      { details: { file: name, duration_sec: duration, max_sec: maxSec } },
    );
}

function formatSeconds(sec: number): string {
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = Math.round(sec % 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s} s` : `${s} s`;
}
