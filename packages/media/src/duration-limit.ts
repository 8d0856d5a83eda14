import { z } from 'zod';

/**
 * The longest song taken, in seconds: the worker refuses a longer input before decoding it, and the YouTube
 * retriever a longer video before downloading it (hours of video for a job the worker would refuse). One
 * default for both; each service describes it in its own config.
 */
export const MaxDurationSecSchema = z.number().positive().default(7200);

/** A length as said in messages: `3 h 0 min`, `4 min 5 s`, `12 s`. */
export function formatDuration(sec: number): string {
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = Math.round(sec % 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s} s` : `${s} s`;
}
