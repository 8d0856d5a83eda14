/**
 * The one reader of a manifest's `processed_at`. ISO 8601 with a zone (`Z`, `+02:00`) names one instant.
 * Without one (`2024-05-01T12:00:00.123456`, Python's `datetime.isoformat()` of a naive time, as the earlier
 * version wrote) it is UTC: the earlier version took its times in UTC (its manifests carry `Z` on the same
 * microsecond form) and ran in a container, whose clock is UTC unless TZ was set. JavaScript's Date.parse
 * reads such a time as this host's local time, so one library sorted and showed differently on two hosts.
 * Anything else that is not ISO 8601 is no time (the caller falls back to the manifest file's mtime).
 */
const ISO_8601 =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** The instant `value` names, in ms since the epoch, or undefined when it is no ISO 8601 time. */
export function processedAtMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = ISO_8601.exec(value.trim());
  if (!match) return undefined;
  const [, date, hm = '00:00', seconds = '00', fraction = '', zone = 'Z'] = match;
  const millis = fraction.padEnd(3, '0').slice(0, 3);
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : zoneWithColon(zone);
  const ms = Date.parse(`${date}T${hm}:${seconds}.${millis}${offset}`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** `+0530` and `+05` as `+05:30` and `+05:00`, the forms every ISO reader takes. */
function zoneWithColon(zone: string): string {
  const digits = zone.slice(1).replace(':', '');
  return `${zone[0]}${digits.slice(0, 2)}:${digits.slice(2, 4) || '00'}`;
}

/** `value` as ISO 8601 in UTC (`…Z`), or undefined when it is no time (see processedAtMs). */
export function processedAtIso(value: unknown): string | undefined {
  const ms = processedAtMs(value);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
