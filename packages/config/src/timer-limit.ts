/**
 * The longest a Node.js timer waits: 2^31 - 1 ms, about 24.8 days. A longer delay is not refused where it is
 * used: setTimeout warns and fires after 1 ms (a poll interval of three years polled back to back, a grace
 * period of a year stopped the work at once) and AbortSignal.timeout throws. So every setting a timer
 * waits for is held to it where it is read, naming the field (timerMax).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const UNIT_MS = { milliseconds: 1, seconds: 1000, minutes: 60_000 } as const;
export type TimerUnit = keyof typeof UNIT_MS;

/**
 * The `.max()` of a duration setting a timer waits for, written in `unit`: the longest value a timer can wait
 * and the message said when a config file asks for more (`z.number().max(...timerMax('seconds'))`).
 */
export function timerMax(unit: TimerUnit): [number, string] {
  const unitMs = UNIT_MS[unit];
  return [
    MAX_TIMER_MS / unitMs,
    `at most ${Math.floor(MAX_TIMER_MS / unitMs)} ${unit} (about 24 days): a longer wait cannot be timed`,
  ];
}
