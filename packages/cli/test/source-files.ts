import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** The repository's root, from packages/cli/test. */
export const REPO = join(import.meta.dirname, '..', '..', '..');

/** Every package's and service's source file (`src/**.ts`, tests left out): what the guards over the code read. */
export async function sourceFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const group of ['packages', 'services'])
    for (const pkg of await readdir(join(REPO, group), { withFileTypes: true })) {
      if (!pkg.isDirectory()) continue;
      const dir = join(REPO, group, pkg.name, 'src');
      for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []))
        if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
          files.push(join(entry.parentPath, entry.name));
    }
  return files;
}

/** A source text without its comments (strings, code and help texts kept). */
export const code = (text: string): string =>
  text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

/** `packages/x` or `services/y`: the package a file is part of. */
export const packageDir = (file: string): string => relative(REPO, file).split('/').slice(0, 2).join('/');

/** Each package's name and what it depends on, by its folder (packageDir). */
export async function packageDeps(files: string[]): Promise<Map<string, { name: string; deps: string[] }>> {
  const deps = new Map<string, { name: string; deps: string[] }>();
  for (const dir of new Set(files.map(packageDir))) {
    const json = JSON.parse(await readFile(join(REPO, dir, 'package.json'), 'utf8')) as {
      name: string;
      dependencies?: Record<string, string>;
    };
    deps.set(dir, { name: json.name, deps: Object.keys(json.dependencies ?? {}) });
  }
  return deps;
}

const NUM = String.raw`-?\d+(?:\.\d+)?`;

/** A range some package exports: `export const X = { min: a, max: b … }`, and the file that holds it. */
export interface RangeConstant {
  name: string;
  min: string;
  max: string;
  file: string;
}

/** The ranges the sources export (their texts as `code()` gives them, `_` in numbers removed). */
export function rangeConstants(texts: Map<string, string>): RangeConstant[] {
  const ranges: RangeConstant[] = [];
  for (const [file, text] of texts)
    for (const m of text.matchAll(
      new RegExp(
        String.raw`^export const ([A-Z][A-Z0-9_]+) = \{\s*min:\s*(${NUM}),\s*max:\s*(${NUM})\b`,
        'gm',
      ),
    ))
      ranges.push({ name: m[1] ?? '', min: m[2] ?? '', max: m[3] ?? '', file });
  return ranges;
}
