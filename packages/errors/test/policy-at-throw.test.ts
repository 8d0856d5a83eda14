import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sourceFiles } from './source-files.ts';

// STYLE 15: a code's retry policy is written once, in its package's catalogue (src/errors.ts). A throw site
// that says `retryable:` beside the code keeps a second copy: about 20 sites repeated the catalogue's word,
// and two contradicted it (NOTIFY_APPRISE_MISSING said "retry" where the catalogue said "a person must act";
// a killed decode was MEDIA_DECODE_FAILED, a code the catalogue calls permanent, told to retry). A condition
// with another policy is another code. This test fails on any error made with its own `retryable:`.

// Where an error of ours is made: `new ImkError(`, `new UntrustedFileError(`, `syncError(`.
const MADE = /(?:new (?:ImkError|UntrustedFileError)|\bsyncError)\(/g;

/** The text of the call's arguments, from the `(` at `open` to its matching `)`. */
function callArguments(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '{' || c === '[') depth++;
    else if (c === ')' || c === '}' || c === ']') {
      depth--;
      if (depth === 0) return text.slice(open + 1, i);
    }
  }
  return text.slice(open + 1);
}

export function policiesAtThrowSites(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(MADE)) {
    const args = callArguments(text, (match.index ?? 0) + match[0].length - 1);
    if (/(?<![.\w])retryable\s*[:,}]/.test(args)) found.push(args.replace(/\s+/g, ' ').slice(0, 80));
  }
  return found;
}

describe('an error code’s retry policy is said only by its catalogue', () => {
  it('finds a policy stated where an error is made (the rule below sees these)', () => {
    expect(policiesAtThrowSites(`throw new ImkError('X', 'm', { retryable: false });`)).toHaveLength(1);
    expect(
      policiesAtThrowSites(`throw new ImkError(\n 'X',\n \`a \${f(b)}\`,\n {\n cause,\n retryable,\n },\n);`),
    ).toHaveLength(1);
    expect(
      policiesAtThrowSites(`syncError('X', 'm', { ...(r === undefined ? {} : { retryable: r }) })`),
    ).toHaveLength(1);
    // Reading the catalogue's word is not stating one.
    expect(
      policiesAtThrowSites(`new ImkError(code, m, { details: { final: !CATALOGUE[code].retryable } })`),
    ).toEqual([]);
    expect(
      policiesAtThrowSites(`throw new ImkError('X', 'm', { details: { file } }); const retryable = 1;`),
    ).toEqual([]);
  });

  it('no throw site says `retryable:` beside its code', async () => {
    const found: string[] = [];
    for (const file of await sourceFiles())
      for (const site of policiesAtThrowSites(await readFile(file, 'utf8')))
        found.push(`${relative(ROOT, file)}: ${site}`);
    expect(found).toEqual([]);
  });
});
