import type { YoutubeConfig } from './config.ts';

export interface DurationCheck {
  duration_checks: 'pass' | 'fail' | 'skipped';
  details: Record<string, unknown>;
}

/**
 * Online vs downloaded duration: passes within max(toleranceSec, tolerancePercent of the online
 * duration). Skipped, and said so, when the source reports no duration (yt-dlp's generic extractor).
 */
export function checkDuration(
  onlineSec: number | null | undefined,
  downloadedSec: number | null | undefined,
  settings: YoutubeConfig['durationCheck'],
): DurationCheck {
  if (onlineSec === null || onlineSec === undefined || onlineSec <= 0)
    return {
      duration_checks: 'skipped',
      details: { reason: 'the source reported no duration', downloaded_duration_sec: downloadedSec ?? null },
    };
  if (downloadedSec === null || downloadedSec === undefined)
    return {
      duration_checks: 'skipped',
      details: { reason: 'the downloaded file has no readable duration', online_duration_sec: onlineSec },
    };
  const tolerance = Math.max(settings.toleranceSec, (onlineSec * settings.tolerancePercent) / 100);
  const difference = Math.abs(downloadedSec - onlineSec);
  return {
    duration_checks: difference <= tolerance ? 'pass' : 'fail',
    details: {
      online_duration_sec: onlineSec,
      downloaded_duration_sec: round(downloadedSec),
      difference_sec: round(difference),
      tolerance_sec: round(tolerance),
    },
  };
}

const round = (value: number): number => Math.round(value * 1000) / 1000;
