import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// STYLE 16: a default is written once, in the schema's `.default()` (the config reference is generated from
// it). A library or a command that falls back to the same value again (`options.port ?? 8080`,
// `maxNameBytes = 255`) is a second copy that stays behind when the schema's changes. This test fails when a
// source file falls back, for an option of the same name, to a literal some schema gives as its default:
// share a constant (or take the parsed config) instead.
const REPO = join(import.meta.dirname, '..', '..', '..');

async function sourceFiles(): Promise<string[]> {
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

const code = (text: string): string =>
  text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

// `name: z.number()…default(4)`: the field named right before the chain (no other field in between).
const SCHEMA_DEFAULT =
  /(\w+)\s*:\s*z\s*\.(?:(?!\w+\s*:\s*z\b)[\s\S]){0,400}?\.default\(\s*(\d[\d_]*|'[^']*')\s*\)/g;
// `x.name ?? 4`, `name ?? 4`, and a parameter `name = 4` / `name: number = 4`.
const FALLBACK =
  /(\w+)\)?\s*\?\?\s*(\d[\d_]*|'[^']*')|[(,]\s*(\w+)\??(?::\s*[\w<>[\]| ]+)?\s*=\s*(\d[\d_]*|'[^']*')\s*[,)]/g;

describe('defaults written once', () => {
  it('no option falls back to a literal a schema already gives as its .default()', async () => {
    const files = await sourceFiles();
    const texts = new Map(
      await Promise.all(files.map(async (f) => [f, code(await readFile(f, 'utf8'))] as const)),
    );
    const defaults = new Map<string, string>();
    for (const [file, text] of texts)
      for (const m of text.matchAll(SCHEMA_DEFAULT))
        defaults.set(`${m[1]}=${(m[2] ?? '').replace(/_/g, '')}`, relative(REPO, file));
    expect(defaults.size).toBeGreaterThan(50);
    const found: string[] = [];
    for (const [file, text] of texts)
      for (const m of text.matchAll(FALLBACK)) {
        const name = m[1] ?? m[3] ?? '';
        const value = (m[2] ?? m[4] ?? '').replace(/_/g, '');
        const schema = defaults.get(`${name}=${value}`);
        if (schema)
          found.push(`${relative(REPO, file)}: ${m[0].trim()} (the default of ${name} in ${schema})`);
      }
    expect(found).toEqual([]);
  });

  it('no constant is defined again, under the same name and value, in another file', async () => {
    // choices.ts copies what `imk --help` shows so that imk starts without loading the packages;
    // commands/choices.test.ts pins each copy to its package.
    const ALLOWED = 'packages/cli/src/commands/choices.ts';
    const seen = new Map<string, string>();
    const found: string[] = [];
    for (const file of await sourceFiles()) {
      const text = code(await readFile(file, 'utf8'));
      for (const m of text.matchAll(/^(?:export )?const ([A-Z][A-Z0-9_]+) = (\d[\d_]*|'[^']*');/gm)) {
        const key = `${m[1]} = ${m[2]}`;
        const where = relative(REPO, file);
        if (where === ALLOWED) continue;
        const first = seen.get(key);
        if (first !== undefined && first !== where) found.push(`${key}: ${first} and ${where}`);
        else seen.set(key, where);
      }
    }
    expect(found).toEqual([]);
  });
});
