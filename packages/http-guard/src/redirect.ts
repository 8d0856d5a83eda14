/**
 * The path to go to after logging in: `next` when it is a path on this server, else `/`. Refused: `//host`
 * and `/\host` (browsers read both as another host), backslashes anywhere, schemes (`https:`,
 * `javascript:`), control characters and whitespace (browsers drop tabs and newlines inside URLs), and each
 * of these hidden behind percent-encoding, once or several times.
 */
export function safeRedirectPath(next: unknown): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048) return '/';
  let text = next;
  for (let round = 0; round < 4; round++) {
    if (!isPlainLocalPath(text)) return '/';
    let decoded: string;
    try {
      decoded = decodeURIComponent(text);
    } catch {
      return '/';
    }
    if (decoded === text) break;
    text = decoded;
  }
  // What a browser would make of it, resolved against a stand-in origin, must stay on that origin.
  const base = 'http://imk.invalid';
  try {
    if (new URL(next, base).origin !== base) return '/';
  } catch {
    return '/';
  }
  return next;
}

function isPlainLocalPath(text: string): boolean {
  if (!text.startsWith('/') || text.startsWith('//')) return false;
  // \s covers tabs, newlines and Unicode spaces; the range covers every other control character.
  // eslint-disable-next-line no-control-regex -- control characters are what is looked for
  return !/[\\\s\u0000-\u001f\u007f-\u009f]/.test(text);
}
