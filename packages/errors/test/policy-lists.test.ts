import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sourceFiles } from './source-files.ts';
import { POLICY_REGISTRY } from '../src/policy-registry.ts';

// STYLE 15: an error code carries its policy in one catalogue (its package's src/errors.ts), and callers ask
// the error (isRetryableError, httpStatusOf, a package's own typed policy such as sync's wholeDestination).
// A list of codes kept elsewhere goes stale the day a code is added: sync's "whole destination" list missed
// SECRET_INVALID, so a password with a line break inside gave one error per file instead of one per
// destination. This test fails on any such list outside a catalogue file.

/** Lists that are not a policy, each with the reason. */
const ALLOWED = new Map([
  [
    'packages/protocol/src/outputs.ts NOT_A_JOB',
    "which of fs-safe's refusals mean 'no finished job in this folder' is the outputs layout's rule",
  ],
]);

async function catalogueCodes(): Promise<Set<string>> {
  for (const group of ['packages', 'services'])
    for (const entry of await readdir(join(ROOT, group), { withFileTypes: true })) {
      const errors = join(ROOT, group, entry.name, 'src', 'errors.ts');
      await import(errors).catch(() => undefined);
    }
  return new Set(POLICY_REGISTRY.keys());
}

// `['A', 'B']`, `new Set(['A', 'B'])`: a bracket of quoted names only.
const LIST = /(?:const\s+(\w+)\s*=\s*(?:new Set\()?)?\[((?:\s*'[^'\n]*'\s*,?)+)\]/g;
// `code === 'A' || code === 'B'` (any expression ending in `code`).
const CHAIN =
  /code\s*===\s*'([A-Z][A-Z0-9_]+)'\s*\)?\s*\|\|\s*\(?\s*[\w.?]*code\s*===\s*'([A-Z][A-Z0-9_]+)'/g;
const QUOTED = /'([A-Z][A-Z0-9_]+)'/g;

describe('error policy lives in the catalogues', () => {
  it('no list of error codes (an array, a Set, a chain of ===) outside a package’s src/errors.ts', async () => {
    const codes = await catalogueCodes();
    expect(codes.size).toBeGreaterThan(100);
    const found: string[] = [];
    const allowedSeen = new Set<string>();
    for (const file of await sourceFiles()) {
      if (file.endsWith('/src/errors.ts')) continue;
      const text = await readFile(file, 'utf8');
      const where = relative(ROOT, file);
      for (const match of text.matchAll(LIST)) {
        const listed = [...(match[2] ?? '').matchAll(QUOTED)]
          .map((m) => m[1] ?? '')
          .filter((c) => codes.has(c));
        if (listed.length < 2) continue;
        const key = `${where} ${match[1] ?? ''}`;
        if (ALLOWED.has(key)) allowedSeen.add(key);
        else found.push(`${key}: [${listed.join(', ')}]`);
      }
      for (const match of text.matchAll(CHAIN))
        if (codes.has(match[1] ?? '') && codes.has(match[2] ?? ''))
          found.push(`${where}: ${match[1]} || ${match[2]}`);
    }
    expect(found).toEqual([]);
    // An allowance whose list is gone is removed too, so the list above stays true.
    expect([...allowedSeen].sort()).toEqual([...ALLOWED.keys()].sort());
  });
});
