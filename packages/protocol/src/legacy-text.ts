import { isImkError } from '@imk/errors';
import { decodeUtf16WithBom, decodeUtf8OrWindows1252, parseUntrustedJson } from '@imk/fs-safe';

/**
 * A JSON document (job.json, manifest.json) from its bytes. The earlier version's Python wrote ASCII
 * (`json.dump` escapes every other letter), but its users edited such files by hand, and an editor on
 * Windows saves "ANSI": `"title": "Café"` with `é` as the one byte E9, which is not UTF-8. Read as UTF-8 that
 * title was `Caf\uFFFD`, everywhere after. A document without `schema_version` (the earlier version's) that
 * is not UTF-8 is therefore read as Windows-1252 (`latin1` says so, for a note); ours is UTF-8, read as before.
 *
 * Python's `json.dump` also writes a float it has not got (`float("nan")`, an infinite ratio) as the bare
 * words `NaN`, `Infinity` or `-Infinity` (its default, `allow_nan=True`), which its own `json.load` reads and
 * JSON.parse refuses. In the earlier version's documents each such value is read as null (absent), and
 * `nonFinite` names the field and what was written; in ours they stay invalid JSON.
 */
export function parseDocumentBytes(
  bytes: Uint8Array,
  name: string,
): { json: unknown; latin1: boolean; nonFinite: string[]; utf16: boolean } {
  // UTF-16 with its byte order mark, as Windows PowerShell 5 writes a file (`ConvertTo-Json | Out-File`, `>`):
  // unambiguous, so read as such, ours too (it was "not valid JSON (Unexpected token 'ÿ', "ÿþ{\u0000…")").
  const utf16 = decodeUtf16WithBom(bytes);
  if (utf16 !== undefined) {
    const { json, nonFinite } = parseWithPythonNumbers(utf16, name);
    return { json, latin1: false, nonFinite, utf16: isLegacyDocument(json) };
  }
  const { text, encoding } = decodeUtf8OrWindows1252(bytes);
  const { json, nonFinite } = parseWithPythonNumbers(text, name);
  if (encoding === 'utf-8') return { json, latin1: false, nonFinite, utf16: false };
  if (isLegacyDocument(json)) return { json, latin1: true, nonFinite, utf16: false };
  // Ours is UTF-8: read as before (a stray byte is U+FFFD).
  return {
    json: parseUntrustedJson(Buffer.from(bytes).toString('utf8'), { name }),
    latin1: false,
    nonFinite: [],
    utf16: false,
  };
}

/** The note a document of the earlier version read as UTF-16 carries (in the job's warnings). */
export const utf16Note = (name: string): string =>
  `${name} is UTF-16 text (as Windows PowerShell 5 writes a file): read as such; UTF-8 is the format`;

/** The note a document read as Windows-1252 carries (in the job's warnings). */
export const latin1Note = (name: string): string =>
  `${name} is not UTF-8 text: read as Latin-1 (Windows-1252), as an editor on Windows saves it`;

/** The note for a value Python wrote as NaN / Infinity / -Infinity (`field: word`), read as absent. */
export const nonFiniteNote = (name: string, entry: string): string =>
  `${name} ${entry} (as the earlier version's Python writes a number it has not got) was read as absent (null)`;

const isLegacyDocument = (json: unknown): boolean =>
  typeof json === 'object' && json !== null && !Array.isArray(json) && !('schema_version' in json);

const PYTHON_WORDS = ['-Infinity', 'Infinity', 'NaN'] as const;
/** Stands for one of PYTHON_WORDS while parsing: a string no document holds (it has a NUL in it). */
const MARK = '\u0000imk-python-number:';

function parseWithPythonNumbers(text: string, name: string): { json: unknown; nonFinite: string[] } {
  try {
    return { json: parseUntrustedJson(text, { name }), nonFinite: [] };
  } catch (error) {
    if (!isImkError(error, 'INVALID_JSON')) throw error;
    const marked = markPythonWords(text);
    if (marked === undefined) throw error;
    let json: unknown;
    try {
      json = parseUntrustedJson(marked, { name });
    } catch {
      throw error;
    }
    // Ours (schema_version) is JSON as RFC 8259 has it: the first error stands.
    if (!isLegacyDocument(json)) throw error;
    const nonFinite: string[] = [];
    return { json: unmark(json, [], nonFinite), nonFinite };
  }
}

/** The text with each bare NaN / Infinity / -Infinity outside strings written as a marked string. */
function markPythonWords(text: string): string | undefined {
  let out = '';
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    const word = PYTHON_WORDS.find((w) => text.startsWith(w, i));
    if (word === undefined) continue;
    out += `${text.slice(from, i)}${JSON.stringify(MARK + word)}`;
    i += word.length - 1;
    from = i + 1;
  }
  return from === 0 ? undefined : out + text.slice(from);
}

function unmark(value: unknown, path: (string | number)[], found: string[]): unknown {
  if (typeof value === 'string' && value.startsWith(MARK)) {
    found.push(`${path.join('.')}: ${value.slice(MARK.length)}`);
    return null;
  }
  if (Array.isArray(value)) return value.map((v, i) => unmark(v, [...path, i], found));
  if (typeof value === 'object' && value !== null) {
    // fromEntries defines each key (a "__proto__" key stays a key).
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [key, unmark(v, [...path, key], found)]),
    );
  }
  return value;
}
