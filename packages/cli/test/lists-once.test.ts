import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, code, sourceFiles } from './source-files.ts';

// STYLE 16 for lists: the worker's engine.name was described as 'builtin, demucs, mdx, or a name defined in
// `module`' beside the registry's ENGINE_NAMES: add an engine and config/instrumental-maker.yaml's reference
// goes on offering three. A text that names a list's items takes them from the list
// (`${ENGINE_NAMES.join(', ')}`). choices.ts copies what `imk --help` shows (choices.test.ts pins it).
const COPIES_HOME = 'packages/cli/src/commands/choices.ts';
// The lists checked so far. Others are still spelled by hand in places (STEM_NAMES, FETCH_MODES,
// AUDIO_FORMATS, QUEUE_NAMES, DEFAULT_VARIANTS, DEEZER_KINDS, …): add a list here once its texts take it.
const CHECKED = ['ENGINE_NAMES'];

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('lists written once', () => {
  it("no text spells a registry's names by hand: it joins the list", async () => {
    const texts = new Map<string, string>();
    for (const file of await sourceFiles())
      if (relative(REPO, file) !== COPIES_HOME) texts.set(file, code(await readFile(file, 'utf8')));
    // `export const ENGINE_NAMES = ['builtin', 'demucs', 'mdx'] as const;`
    const lists: { name: string; items: string[]; file: string }[] = [];
    for (const [file, text] of texts)
      for (const m of text.matchAll(
        /^export const ([A-Z][A-Z0-9_]+) = \[((?:\s*'[^']+',?)+)\s*\] as const/gm,
      ))
        lists.push({
          name: m[1] ?? '',
          items: [...(m[2] ?? '').matchAll(/'([^']+)'/g)].map((i) => i[1] ?? ''),
          file,
        });
    expect(lists.map((l) => l.name)).toEqual(expect.arrayContaining(CHECKED));
    const found: string[] = [];
    for (const list of lists.filter((l) => CHECKED.includes(l.name))) {
      // `builtin, demucs, mdx`, `builtin, demucs or mdx`, `builtin|demucs|mdx`, `builtin/demucs/mdx`.
      const spelled = [', ', String.raw`\s*\|\s*`, '/'].map((sep) => {
        const head = list.items.slice(0, -1).map(escape).join(sep);
        const last = escape(list.items.at(-1) ?? '');
        return new RegExp(String.raw`(?<![\w-])${head}(?:${sep}|,? or |,? and )${last}(?![\w-])`, 'g');
      });
      for (const [file, text] of texts) {
        if (file === list.file) continue;
        for (const pattern of spelled)
          for (const m of text.matchAll(pattern))
            found.push(`${relative(REPO, file)}: "${m[0]}" (${list.name})`);
      }
    }
    expect(found).toEqual([]);
  });
});
