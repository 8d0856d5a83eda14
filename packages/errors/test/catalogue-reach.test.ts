import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { catalogueOf } from '@imk/errors';
import { ROOT, sourceFiles } from './source-files.ts';

// STYLE 15: a code's policy is found by code in the catalogues registered so far, and a catalogue registers
// when its package's src/errors.ts is evaluated. A module imported on its own (a test, a script, another
// package's deep import) once threw codes no catalogue had registered: policyOfCode said undefined, so the
// worker neither retried a passing failure nor set a bad input aside (two media tests met this). So every
// module that makes an error with a written code imports, itself or through its own imports, a catalogue
// naming that code; then the policy cannot depend on what else was imported first. Usually that is one line
// at the top: `import './errors.ts';` (or the names it uses from there). `import type` does not count: it is
// erased and runs nothing.

// A code written where an error is made (as catalogues.test.ts and policy-at-throw.test.ts read them).
const MADE = /(?:new (?:ImkError|UntrustedFileError)|\bsyncError)\(\s*'([A-Z][A-Z0-9_]*)'/g;
// `import … from 'x'`, `export … from 'x'`, `import 'x'` (not `import('x')`, which runs only when called).
const IMPORT = /(?:^|[;\n])\s*(import|export)\s+(type\s+)?(?:([^'";]*?)\s+from\s+)?'([^'\n]+)'/g;

interface Workspace {
  name: string;
  dir: string;
  exports: Record<string, string>;
}

async function workspaces(): Promise<Map<string, Workspace>> {
  const found = new Map<string, Workspace>();
  for (const group of ['packages', 'services'])
    for (const entry of await readdir(join(ROOT, group), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(ROOT, group, entry.name);
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
        name: string;
        exports?: Record<string, string>;
      };
      found.set(pkg.name, { name: pkg.name, dir, exports: pkg.exports ?? {} });
    }
  return found;
}

/** Whether an import's bindings are all types (`{ type A, type B }`), so only the types are taken from it. */
function onlyTypes(bindings: string | undefined): boolean {
  const list = /^\{([\s\S]*)\}$/.exec(bindings?.trim() ?? '');
  if (!list) return false;
  const names = (list[1] ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return names.length > 0 && names.every((name) => name.startsWith('type '));
}

/** The files a module's imports run (relative ones and workspace packages; others are outside the rule). */
export function importedFiles(
  file: string,
  text: string,
  packages: ReadonlyMap<string, Workspace>,
): string[] {
  const files: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    if (match[2] !== undefined || onlyTypes(match[3])) continue;
    const spec = match[4] ?? '';
    if (spec.startsWith('.')) {
      files.push(resolve(dirname(file), spec));
      continue;
    }
    const parts = spec.split('/');
    if (!spec.startsWith('@imk/')) continue;
    const pkg = packages.get(parts.slice(0, 2).join('/'));
    const target = pkg?.exports[['.', ...parts.slice(2)].join('/')];
    if (pkg && target) files.push(resolve(pkg.dir, target));
  }
  return files;
}

describe('an error’s policy does not depend on import order', () => {
  it('reads the imports that run a module (the rule below follows these)', () => {
    const packages = new Map([
      ['@imk/x', { name: '@imk/x', dir: '/r/x', exports: { '.': './src/index.ts' } }],
    ]);
    const text = [
      `import './errors.ts';`,
      `import {\n  a,\n  b,\n} from '../b.ts';`,
      `import type { T } from './types.ts';`,
      `import { type U, type V } from './more-types.ts';`,
      `import { type W, w } from './w.ts';`,
      `export { c } from './c.ts';`,
      `export type { D } from './d.ts';`,
      `import { z } from 'zod';`,
      `import { y } from '@imk/x';`,
      `const later = () => import('./dynamic.ts');`,
    ].join('\n');
    expect(importedFiles('/r/x/src/a.ts', text, packages)).toEqual([
      '/r/x/src/errors.ts',
      '/r/x/b.ts',
      '/r/x/src/w.ts',
      '/r/x/src/c.ts',
      '/r/x/src/index.ts',
    ]);
  });

  it('every module that makes an error with a written code imports a catalogue naming that code', async () => {
    const packages = await workspaces();
    // What each catalogue file names (evaluating it registers it: that is what the imports must reach).
    const named = new Map<string, ReadonlySet<string>>();
    for (const pkg of packages.values()) {
      const file = join(pkg.dir, 'src', 'errors.ts');
      if (!(await stat(file).catch(() => undefined))) continue;
      await import(file);
      named.set(file, new Set(Object.keys(catalogueOf(pkg.name) ?? {})));
    }
    const texts = new Map<string, string>();
    for (const file of await sourceFiles()) texts.set(file, await readFile(file, 'utf8'));
    const reached = new Map<string, Set<string>>();
    /** The codes the catalogues run by `file` and its imports name. */
    function codesReached(file: string): Set<string> {
      const known = reached.get(file);
      if (known) return known;
      const codes = new Set<string>();
      reached.set(file, codes); // an import cycle adds nothing more the second time round
      for (const code of named.get(file) ?? []) codes.add(code);
      const text = texts.get(file);
      if (text !== undefined)
        for (const imported of importedFiles(file, text, packages))
          for (const code of codesReached(imported)) codes.add(code);
      return codes;
    }
    const unreached: string[] = [];
    for (const [file, text] of texts) {
      const codes = new Set([...text.matchAll(MADE)].map((match) => match[1] ?? ''));
      if (codes.size === 0) continue;
      // A fresh walk per module: a cycle cut short for another module must not hide a catalogue here.
      reached.clear();
      const known = codesReached(file);
      const missing = [...codes].filter((code) => !known.has(code));
      if (missing.length > 0) unreached.push(`${relative(ROOT, file)}: ${missing.join(', ')}`);
    }
    expect(unreached).toEqual([]);
  });

  it('a module imported on its own, with nothing else loaded first, knows the policy of every code it makes', async () => {
    // What the rule above guarantees, seen at run time: each module that makes errors is imported alone into
    // a fresh module registry (so a fresh @imk/errors with no catalogue registered), as a test, a script or
    // another package's deep import would, and every code it makes must have its catalogue's policy.
    const unknown: string[] = [];
    for (const file of await sourceFiles()) {
      const codes = new Set(
        [...(await readFile(file, 'utf8')).matchAll(MADE)].map((match) => match[1] ?? ''),
      );
      if (codes.size === 0) continue;
      vi.resetModules();
      const errors = await import('@imk/errors');
      await import(file);
      const missing = [...codes].filter((code) => errors.policyOfCode(code) === undefined);
      if (missing.length > 0) unknown.push(`${relative(ROOT, file)}: ${missing.join(', ')}`);
    }
    expect(unknown).toEqual([]);
  }, 120_000);
});
