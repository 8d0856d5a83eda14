import { decodeUtf8OrWindows1252, parseUntrustedJson } from '@imk/fs-safe';

/**
 * A JSON document (job.json, manifest.json) from its bytes. The earlier version's Python wrote ASCII
 * (`json.dump` escapes every other letter), but its users edited such files by hand, and an editor on
 * Windows saves "ANSI": `"title": "Café"` with `é` as the one byte E9, which is not UTF-8. Read as UTF-8 that
 * title was `Caf\uFFFD`, everywhere after. A document without `schema_version` (the earlier version's) that
 * is not UTF-8 is therefore read as Windows-1252 (`latin1` says so, for a note); ours is UTF-8, read as before.
 */
export function parseDocumentBytes(bytes: Uint8Array, name: string): { json: unknown; latin1: boolean } {
  const { text, encoding } = decodeUtf8OrWindows1252(bytes);
  const json = parseUntrustedJson(text, { name });
  if (encoding === 'utf-8') return { json, latin1: false };
  if (typeof json === 'object' && json !== null && !Array.isArray(json) && !('schema_version' in json))
    return { json, latin1: true };
  // Ours is UTF-8: read as before (a stray byte is U+FFFD).
  return { json: parseUntrustedJson(Buffer.from(bytes).toString('utf8'), { name }), latin1: false };
}

/** The note a document read as Windows-1252 carries (in the job's warnings). */
export const latin1Note = (name: string): string =>
  `${name} is not UTF-8 text: read as Latin-1 (Windows-1252), as an editor on Windows saves it`;
