import { z } from 'zod';
import { timerMax } from '@imk/config';

/**
 * How long one ffprobe run may read one file. Reading a header takes well under a second; only a huge
 * sparse or malformed file (a 20 GB `.mp3` of zeros is scanned to its end) takes longer, and it would hold
 * the caller (the inbox's scan, a worker slot) for minutes.
 */
export const ProbeTimeoutSecSchema = z
  .number()
  .positive()
  .max(...timerMax('seconds'))
  .default(30)
  .describe(
    'Seconds ffprobe may take to read one file (a huge sparse or malformed file can take minutes); a file that takes longer is refused with MEDIA_PROBE_TIMEOUT, naming it.',
  );

/** The default of ProbeTimeoutSecSchema, in milliseconds, for callers that configure nothing. */
export const DEFAULT_PROBE_TIMEOUT_MS = ProbeTimeoutSecSchema.parse(undefined) * 1000;
