/**
 * The text of bytes that should be UTF-8 but may come from an editor on Windows saving "ANSI": UTF-8 when they
 * are UTF-8, else Windows-1252 (Latin-1 and its additions), so `Café` saved with é as the one byte E9 reads
 * `Café`, not `Caf\uFFFD`. `encoding` says which, for the caller to say so. One home for this rule: the legacy
 * .env reader (@imk/config) and the earlier version's documents (@imk/protocol) both use it.
 */
export function decodeUtf8OrWindows1252(bytes: Uint8Array): {
  text: string;
  encoding: 'utf-8' | 'windows-1252';
} {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: new TextDecoder('windows-1252').decode(bytes), encoding: 'windows-1252' };
  }
}

/**
 * The text of bytes that start with a UTF-16 byte order mark (FF FE or FE FF; the mark itself is left out),
 * else undefined. Windows PowerShell 5 writes files so (`Out-File`, `>`, `Set-Content
 * -Encoding Unicode`); such bytes are never UTF-8, which read them as U+FFFD and a NUL after each letter.
 */
export function decodeUtf16WithBom(bytes: Uint8Array): string | undefined {
  const le = bytes[0] === 0xff && bytes[1] === 0xfe;
  const be = bytes[0] === 0xfe && bytes[1] === 0xff;
  if (!le && !be) return undefined;
  return new TextDecoder(le ? 'utf-16le' : 'utf-16be', { ignoreBOM: false }).decode(bytes);
}
