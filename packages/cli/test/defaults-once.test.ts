import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, code, packageDeps, packageDir, sourceFiles } from './source-files.ts';

// STYLE 16: a default is written once, in the schema's `.default()` (the config reference is generated from
// it). A library or a command that falls back to the same value again (`options.port ?? 8080`,
// `maxNameBytes = 255`) is a second copy that stays behind when the schema's changes. This test fails when a
// source file falls back, for an option of the same name, to a literal some schema gives as its default:
// share a constant (or take the parsed config) instead.

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

  it('no schema repeats, as a literal, the constant a library it depends on falls back to for the same option', async () => {
    // The worker's config wrote leaseMs `.default(30_000)` beside fsqueue's `options.leaseMs ??
    // DEFAULT_LEASE_MS` (30_000): change one and the worker and every other queue consumer disagree on when
    // a job's lease runs out. The schema takes the constant (`.default(DEFAULT_LEASE_MS)`) instead.
    const files = await sourceFiles();
    const texts = new Map(
      await Promise.all(files.map(async (f) => [f, code(await readFile(f, 'utf8'))] as const)),
    );
    const packages = await packageDeps(files);
    // `const X = 30_000;`, `const X = 24 * 60 * 60 * 1000;`
    const constants = new Map<string, number>();
    for (const text of texts.values())
      for (const m of text.matchAll(
        /^(?:export )?const ([A-Z][A-Z0-9_]+) = (\d[\d_]*(?:\s*\*\s*\d[\d_]*)*);/gm,
      ))
        constants.set(
          m[1] ?? '',
          (m[2] ?? '')
            .split('*')
            .reduce((product, factor) => product * Number(factor.trim().replace(/_/g, '')), 1),
        );
    // `options.leaseMs ?? DEFAULT_LEASE_MS` in a library: option name and value, and where.
    const fallbacks: { key: string; dir: string; where: string }[] = [];
    for (const [file, text] of texts)
      for (const m of text.matchAll(/(\w+)\s*\?\?\s*([A-Z][A-Z0-9_]+)\b/g)) {
        const value = constants.get(m[2] ?? '');
        if (value !== undefined)
          fallbacks.push({
            key: `${m[1]}=${value}`,
            dir: packageDir(file),
            where: `${relative(REPO, file)} (${m[2]})`,
          });
      }
    expect(fallbacks.length).toBeGreaterThan(5);
    const found: string[] = [];
    for (const [file, text] of texts) {
      const own = packages.get(packageDir(file));
      for (const m of text.matchAll(SCHEMA_DEFAULT)) {
        const key = `${m[1]}=${(m[2] ?? '').replace(/_/g, '')}`;
        for (const fallback of fallbacks) {
          const library = packages.get(fallback.dir);
          if (fallback.key !== key || !library) continue;
          if (library === own || own?.deps.includes(library.name))
            found.push(`${relative(REPO, file)}: ${m[1]} .default(${m[2]}), the value of ${fallback.where}`);
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('no code spells the value of a DEFAULT_X constant for the option it is the default of', async () => {
    // DEFAULT_QUEUE ('other') is where a bundle goes when nobody says; the dashboard's upload and mixer
    // routes wrote `queue: 'other'` again, so the day the default queue changes, they would still publish
    // into the old folder. `queue: DEFAULT_QUEUE` (`sampleRate: STEM_SAMPLE_RATE`, …) names the one home.
    const files = await sourceFiles();
    const texts = new Map(
      await Promise.all(files.map(async (f) => [f, code(await readFile(f, 'utf8'))] as const)),
    );
    const deps = await packageDeps(files);
    // `export const DEFAULT_SAMPLE_RATE = 44100;` is the default of an option named `sampleRate`; a
    // `STEM_SAMPLE_RATE = 44100` of the same option too.
    const defaults: { option: string; value: string; constant: string; file: string }[] = [];
    for (const [file, text] of texts)
      for (const m of text.matchAll(
        /^export const ((?:DEFAULT|STEM)_([A-Z0-9_]+))(?::[^=\n]+)? = (\d[\d_]*|'[^'\n]*');/gm,
      ))
        defaults.push({
          option: (m[2] ?? '').toLowerCase().replace(/_([a-z0-9])/g, (_c, c: string) => c.toUpperCase()),
          value: (m[3] ?? '').replace(/_/g, ''),
          constant: m[1] ?? '',
          file,
        });
    expect(defaults.map((d) => d.constant)).toEqual(
      expect.arrayContaining(['DEFAULT_QUEUE', 'DEFAULT_LEASE_MS']),
    );
    const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const found: string[] = [];
    for (const d of defaults) {
      const home = deps.get(packageDir(d.file))?.name ?? '';
      // `queue: 'other'`, `sampleRate ?? 44100`, `pollMs = 1000` (a property, a fallback, a parameter).
      const spelled = new RegExp(`\\b${d.option}\\??\\s*(?::|\\?\\?|=)\\s*${escape(d.value)}(?![\\w.])`, 'g');
      for (const [file, text] of texts) {
        const user = deps.get(packageDir(file));
        if (file === d.file || !user || (user.name !== home && !user.deps.includes(home))) continue;
        for (const m of text.matchAll(spelled))
          found.push(`${relative(REPO, file)}: ${m[0]} (${d.constant} of ${relative(REPO, d.file)})`);
      }
    }
    expect(found).toEqual([]);
  });

  it("no option's doc comment writes its default as a literal: it names the constant the code falls back to", async () => {
    // `/** @default 5000 */ busyTimeoutMs` beside `options.busyTimeoutMs ?? 5000` (twice, in two files) is the
    // same value written two or three times: change the code and the comment goes on promising the old value
    // (the throttle's, the ledger's, the heartbeat's …). The code falls back to one named constant and the
    // comment names it (`@default LEDGER_DEFAULTS.busyTimeoutMs`). A number after @default is always such a
    // copy; a quoted string is one when the same file falls back to that string.
    const found: string[] = [];
    for (const file of await sourceFiles()) {
      const text = await readFile(file, 'utf8');
      const body = code(text);
      for (const doc of text.matchAll(/\/\*\*[\s\S]*?\*\//g))
        for (const m of (doc[0] ?? '').matchAll(/@default\s+(-?\d[\d_.]*(?!o)\b|'[^'\n]*'|"[^"\n]*")/g)) {
          const value = m[1] ?? '';
          const quoted = value.startsWith("'") || value.startsWith('"');
          const literal = quoted ? value.slice(1, -1) : value;
          const fallsBack = new RegExp(
            `(?:\\?\\?|\\|\\|)\\s*['"]${literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"]`,
          );
          if (!quoted || fallsBack.test(body)) found.push(`${relative(REPO, file)}: @default ${value}`);
        }
    }
    expect(found).toEqual([]);
  });

  it("a folder's default is spelled once in its file: the config reference's @default and the code's fallback", async () => {
    // The inbox's schema said `@default <root>/inbox` while its settings fell back to `dir ?? 'inbox'`; the
    // retrievers passed 'requests/youtube' to requestFolderFields (which writes the reference's @default)
    // and fell back to join('requests', 'youtube'). Change the fallback and the reference goes on naming
    // the old folder. One constant (INBOX_DEFAULTS.dir, DEFAULT_REQUESTS_DIR) serves both.
    const found: string[] = [];
    for (const file of await sourceFiles()) {
      const text = code(await readFile(file, 'utf8'));
      // `'a/b'` (a relative path of two or more names), join('a', 'b'), and a literal `@default <root>/a`.
      const literals = new Set(
        [...text.matchAll(/['"`]((?:[a-z][\w-]*\/)+[a-z][\w-]*)['"`]/g)].map((m) => m[1]),
      );
      const joins = new Set(
        [...text.matchAll(/\bjoin\(\s*((?:['"`][\w-]+['"`]\s*,\s*)+['"`][\w-]+['"`])\s*\)/g)].map((m) =>
          (m[1] ?? '').replace(/['"`\s]/g, '').replace(/,/g, '/'),
        ),
      );
      for (const path of joins) if (literals.has(path)) found.push(`${relative(REPO, file)}: ${path}, twice`);
      for (const m of text.matchAll(/@default <root>\/([\w/-]+)/g)) {
        const path = m[1] ?? '';
        // A one-name folder counts where the file also spells it alone (`dir ?? 'inbox'`).
        const alone = !path.includes('/') && new RegExp(`['"\`]${path}['"\`]`).test(text);
        if (literals.has(path) || joins.has(path) || alone)
          found.push(`${relative(REPO, file)}: @default <root>/${path} and the code's ${path}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('no read cap is written as a number where a file is read: it is a named constant, one per file format', async () => {
    // fsqueue's tokenIn read the queue's imk-*.json files with `maxBytes: 256 * 1024` beside bundle-state's
    // CONTROL_FILE_MAX_BYTES for the same files: raise one and a token the other cannot read is a lost
    // claim. A named cap is one home that the next reader of the file takes (and the rule above compares).
    const found: string[] = [];
    for (const file of await sourceFiles())
      code(await readFile(file, 'utf8'))
        .split('\n')
        .forEach((line, i) => {
          if (/\bmaxBytes\s*:\s*[\d(]/.test(line))
            found.push(`${relative(REPO, file)}:${i + 1}: ${line.trim()}`);
        });
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
