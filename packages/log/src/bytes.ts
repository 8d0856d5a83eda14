import prettyBytes from 'pretty-bytes';

/**
 * A size for people: powers of 1024 with their own names (KiB, MiB, GiB), at most one decimal: "75.9 GiB",
 * "900 MiB", "2 KiB". Every message that shows a size uses this, so two lines never show the same number
 * of bytes in two units.
 */
export function formatBytes(bytes: number): string {
  return prettyBytes(bytes, { binary: true, maximumFractionDigits: 1 });
}
