import { ImkError } from '@imk/errors';
import { readUntrustedText, type UntrustedOpenOptions } from './untrusted.ts';

/**
 * Nesting accepted in an untrusted JSON document. Every document of the protocol is a few levels deep; a
 * field nested 200,000 times would overflow the stack of every recursive reader after JSON.parse
 * (validation, logging, the dashboard), so it is refused before parsing.
 */
export const MAX_JSON_DEPTH = 64;

export interface UntrustedJsonOptions {
  /** How the document is named in messages. */
  name: string;
  /** Deepest nesting of arrays and objects accepted. @default MAX_JSON_DEPTH */
  maxDepth?: number;
}

/** The deepest nesting of `[` and `{` in JSON text (strings skipped), stopping early past `limit`. */
export function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/**
 * JSON.parse for untrusted text: too deep or invalid is an ImkError naming the document (never retried).
 * A leading byte order mark is skipped (RFC 8259 allows it): Windows editors and PowerShell's
 * `Out-File -Encoding utf8` write one, and the document is otherwise valid.
 */
export function parseUntrustedJson(input: string, options: UntrustedJsonOptions): unknown {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  if (jsonDepth(text, maxDepth) > maxDepth)
    throw new ImkError(
      'JSON_TOO_DEEP',
      `${options.name} nests arrays or objects more than ${maxDepth} levels deep; refused`,
      { details: { file: options.name, max_depth: maxDepth } },
    );
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ImkError('INVALID_JSON', `${options.name} is not valid JSON (${(error as Error).message})`, {
      cause: error,
      details: { file: options.name },
    });
  }
}

/** Reads (see readUntrustedFile) and parses an untrusted JSON file with a size and a depth limit. */
export async function readUntrustedJson(
  path: string,
  options: UntrustedOpenOptions & { maxBytes: number; maxDepth?: number },
): Promise<unknown> {
  const name = options.name ?? path;
  const text = await readUntrustedText(path, options);
  return parseUntrustedJson(text, { name, maxDepth: options.maxDepth });
}
