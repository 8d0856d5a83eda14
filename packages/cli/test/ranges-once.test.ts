import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, code, packageDeps, packageDir, rangeConstants, sourceFiles } from './source-files.ts';

// STYLE 16 for ranges: a range (`export const SAMPLE_RATE_RANGE = { min: 8000, max: 192000 }`) is written
// once; the code that checks it, the help, messages and descriptions that state it, and the docs take it
// from there. choices.ts copies what `imk --help` states so that imk starts without loading the packages
// (commands/choices.test.ts pins each copy to its home): it is the one other place its numbers stand.
const COPIES_HOME = 'packages/cli/src/commands/choices.ts';

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const plain = (text: string) => text.replace(/(\d)_(?=\d)/g, '$1');

async function sourceTexts(): Promise<Map<string, string>> {
  const files = (await sourceFiles()).filter((f) => relative(REPO, f) !== COPIES_HOME);
  return new Map(
    await Promise.all(files.map(async (f) => [f, plain(code(await readFile(f, 'utf8')))] as const)),
  );
}

describe('ranges written once', () => {
  it('no range a package can import is written again as numbers (a constant, a schema chain, a comparison)', async () => {
    // @imk/media kept its own PITCH_RANGE / TEMPO_RANGE ({ min: -12, max: 12 }, { min: 0.5, max: 2 }) beside
    // @imk/protocol's PITCH_LIMITS / TEMPO_LIMITS, which it already depends on; the worker's sidecar wrote
    // `.min(8000).max(192000)` and `imk separate` `< 8000 || > 192000` beside SAMPLE_RATE_RANGE, and the
    // sidecar's pitch and tempo `.min(-12, 'expected -12 to +12 semitones')`. Widen the range in its home and
    // the copies go on refusing (or letting through) the old one. A copy is the same two numbers, in a file
    // of its package or of one that depends on it, as another such object, a `.min(a)….max(b)` chain (with
    // or without a message), or `< a || … > b` / `>= a && … <= b`.
    const texts = await sourceTexts();
    const deps = await packageDeps([...texts.keys()]);
    const ranges = rangeConstants(texts);
    expect(ranges.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'PITCH_LIMITS',
        'TEMPO_LIMITS',
        'SAMPLE_RATE_RANGE',
        'JOB_PRIORITY',
        'STEM_LEVEL_RANGE',
      ]),
    );
    const found: string[] = [];
    for (const r of ranges) {
      const home = deps.get(packageDir(r.file))?.name ?? '';
      const [a, b] = [escape(r.min), escape(r.max)];
      const end = String.raw`(?![\d.])`;
      const message = String.raw`(?:,[^()]*)?`;
      const copies = [
        String.raw`min:\s*${a},\s*max:\s*${b}${end}`,
        String.raw`\.min\(\s*${a}\s*${message}\)(?:\s*\.\w+\([^()]*\))*?\s*\.max\(\s*${b}\s*${message}\)`,
        String.raw`<\s*${a}\s*\|\|[^;{}]{0,80}?>\s*${b}${end}`,
        String.raw`>=\s*${a}\s*&&[^;{}]{0,80}?<=\s*${b}${end}`,
      ].map((source) => new RegExp(source, 'g'));
      for (const [file, text] of texts) {
        const user = deps.get(packageDir(file));
        if (file === r.file || !user || (user.name !== home && !user.deps.includes(home))) continue;
        for (const copy of copies)
          for (const m of text.matchAll(copy))
            found.push(`${relative(REPO, file)}: ${m[0]} (${r.name} of ${relative(REPO, r.file)})`);
      }
    }
    expect(found).toEqual([]);
  });

  it('no help text, message, description or doc states a range in numbers typed by hand', async () => {
    // `imk separate --help` said "8000 to 192000", job.json's schema "(-12 to +12)" and "(0.5 to 2.0)", the
    // sidecar's messages "expected -12 to +12 semitones", the docs "−12…+12" and "−100…100" by hand, beside
    // SAMPLE_RATE_RANGE, PITCH_LIMITS, TEMPO_LIMITS and JOB_PRIORITY: widen a range and they go on stating
    // the old one. Words are built from the constant (`${SAMPLE_RATE_RANGE.min} to …`); a doc states it
    // through a value marker that `npm run schemas` fills (packages/cli/src/doc-values.ts); generated
    // parts (configuration.md, protocol.md's field tables) are written from the describe texts.
    const texts = await sourceTexts();
    const ranges = rangeConstants(texts);
    const publicDir = join(REPO, 'services', 'web', 'public');
    for (const name of (await readdir(publicDir)).filter((n) => n.endsWith('.js')))
      texts.set(join(publicDir, name), plain(code(await readFile(join(publicDir, name), 'utf8'))));
    const pages = [
      join(REPO, 'README.md'),
      ...(await readdir(join(REPO, 'docs')))
        .filter((n) => n.endsWith('.md'))
        .map((n) => join(REPO, 'docs', n)),
    ];
    for (const page of pages) {
      const text = await readFile(page, 'utf8');
      if (/^# .*\n+<!-- Generated/.test(text)) continue;
      texts.set(
        page,
        plain(
          text
            .replace(/<!-- value:([a-z-]+) -->[\s\S]*?<!-- \/value:\1 -->/g, '')
            .replace(/<!-- fields:([a-z-]+) -->[\s\S]*?<!-- \/fields:\1 -->/g, ''),
        ),
      );
    }
    // A number as prose writes it: a sign (- or −, + on the maximum), `2` as `2.0`, a unit after the first.
    const spelled = (n: string, max: boolean): string => {
      const digits = escape(n.replace(/^-/, ''));
      const sign = n.startsWith('-') ? '[-−]' : max ? String.raw`\+?` : '';
      return `${sign}${digits}${n.includes('.') ? '' : String.raw`(?:\.0+)?`}`;
    };
    const found: string[] = [];
    for (const r of ranges) {
      const words = new RegExp(
        String.raw`(?<![\w.\-−+])${spelled(r.min, false)}(?:\s?(?:x|Hz|s|semitones?))?\s*(?:to|and|…|\.\.\.|–)\s*${spelled(r.max, true)}(?![\d]|\.\d)`,
        'g',
      );
      for (const [file, text] of texts)
        for (const m of text.matchAll(words)) found.push(`${relative(REPO, file)}: "${m[0]}" (${r.name})`);
    }
    expect(found).toEqual([]);
  });
});

describe("the commands' help defaults", () => {
  it('no option of a command defaults to a word or list that a schema already gives as its .default()', async () => {
    // `imk separate` defaulted to `--engine builtin`, `--format m4a` and `--variants
    // instrumental,no_drums,drums_only` by hand, the worker's config defaults (engine.name, output.format,
    // variants): change the worker's and `imk separate` goes on making the old ones. choices.ts holds the
    // copy (pinned to the schema by choices.test.ts), and the command takes it from there. Numbers are left
    // out: a count such as `--limit 200` is its command's own.
    const texts = await sourceTexts();
    const defaults = new Map<string, string>();
    for (const [file, text] of texts) {
      for (const m of text.matchAll(/\.default\(\s*'([^'\n]*[^\d'\n][^'\n]*)'\s*\)/g))
        defaults.set(m[1] ?? '', relative(REPO, file));
      for (const m of text.matchAll(/\.default\(\s*\[((?:\s*'[^'\n]*'\s*,?)+)\]\s*\)/g))
        defaults.set((m[1] ?? '').replace(/['\s]/g, '').replace(/,$/, ''), relative(REPO, file));
    }
    expect(defaults.get('m4a')).toBeDefined();
    const found: string[] = [];
    const commands = join(REPO, 'packages', 'cli', 'src', 'commands');
    for (const name of (await readdir(commands)).filter(
      (n) => n.endsWith('.ts') && !n.endsWith('.test.ts'),
    )) {
      const text = code(await readFile(join(commands, name), 'utf8'));
      // `.option('--x <y>', 'help', 'default')`, `.argument('[x]', 'help', 'default')`, `.default('…')`.
      for (const m of text.matchAll(
        /\.(?:option|argument)\(\s*'[^']*',\s*(?:'(?:[^'\\]|\\.)*'|"[^"]*"|`[^`]*`)\s*,\s*'([^']*)',?\s*\)|\.default\(\s*'([^']*)'\s*\)/g,
      )) {
        const value = m[1] ?? m[2] ?? '';
        const schema = defaults.get(value);
        if (schema !== undefined && !/^\d+$/.test(value))
          found.push(`packages/cli/src/commands/${name}: default '${value}' (a .default() in ${schema})`);
      }
    }
    expect(found).toEqual([]);
  });
});
