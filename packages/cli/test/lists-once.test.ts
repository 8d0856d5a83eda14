import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, code, packageDir, sourceFiles } from './source-files.ts';

// STYLE 16 for lists: the worker's engine.name was described as 'builtin, demucs, mdx, or a name defined in
// `module`' beside the registry's ENGINE_NAMES: add an engine and config/instrumental-maker.yaml's reference
// goes on offering three. A text that names a list's items takes them from the list: a help text or a
// message joins it (`${ENGINE_NAMES.join(', ')}`), a page of the docs states it through a
// `<!-- value:NAME -->` marker that `npm run schemas` fills from the constant (DOC_VALUES; doc-values.test.ts
// fails when a page is behind). choices.ts copies what `imk --help` shows (choices.test.ts pins it).
const COPIES_HOME = 'packages/cli/src/commands/choices.ts';
// The lists checked. A list is found spelled by hand when all its items stand in a row, in any order,
// joined by commas, `|`, `/` or a last "or"/"and": in the sources' strings bare or `in code`, in the docs
// also "quoted".
const CHECKED = [
  'ENGINE_NAMES',
  'STEM_NAMES',
  'FETCH_MODES',
  'AUDIO_FORMATS',
  'QUEUE_NAMES',
  'LOG_FORMATS',
  'ARTIFACT_KINDS',
  'NOTIFY_EVENTS',
  'LEDGER_STATES',
  'DEEZER_KINDS',
  'BACKEND_TYPES',
  'CONFLICT_POLICIES',
  'JOB_STATES',
];
// The examples and usage lines (code, where no marker can stand) that spell a list, by page: each is checked
// to be the list in its order.
const IN_EXAMPLES: Record<string, number> = {
  'README.md AUDIO_FORMATS': 1,
  'README.md LOG_FORMATS': 2,
  'docs/instrumental-maker.md ENGINE_NAMES': 1,
  'docs/retriever-sdk.md FETCH_MODES': 1,
  'docs/retriever-sdk.md QUEUE_NAMES': 1,
  'docs/retrievers.md DEEZER_KINDS': 1,
  'docs/retrievers.md FETCH_MODES': 4,
  'docs/separation.md AUDIO_FORMATS': 1,
  'docs/separation.md ENGINE_NAMES': 3,
  'docs/separation.md STEM_NAMES': 2,
};

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Pages, or their parts, that a test already holds to the code (its texts are read by the sources' check). */
const STATED_BY_CODE: { page: string; from: string; why: string }[] = [
  { page: 'docs/configuration.md', from: '', why: 'generated from the schemas by `npm run docs:config`' },
  {
    page: 'docs/migration.md',
    from: '## Every setting of the earlier version',
    why: "migration-table.test.ts holds each row to @imk/config LEGACY_KEYS' words",
  },
];

// What `npm run schemas` and `npm run docs:config` write between markers (values, defaults, field tables):
// the constant's or the schema's words, whose sources the first check reads.
const GENERATED =
  /<!-- (value:[a-z-]+|fields:[a-z-]+|config-defaults?|builtin-params)\b[^>]*-->[\s\S]*?<!-- \/\1 ?-->/g;

/** README.md and docs/*.md, without what their `value` markers hold (that is the constant's) and STATED_BY_CODE. */
async function docPages(): Promise<Map<string, string>> {
  const names = [
    'README.md',
    ...(await readdir(join(REPO, 'docs'))).filter((n) => n.endsWith('.md')).map((n) => join('docs', n)),
  ];
  const pages = new Map<string, string>();
  for (const name of names) {
    let text = await readFile(join(REPO, name), 'utf8');
    const stated = STATED_BY_CODE.find((s) => s.page === name);
    if (stated) {
      const from = text.indexOf(stated.from);
      if (from < 0) throw new Error(`${name} has no "${stated.from}" (lists-once.test.ts STATED_BY_CODE)`);
      text = text.slice(0, from);
    }
    pages.set(join(REPO, name), text.replace(GENERATED, ''));
  }
  return pages;
}

/** Whether `index` of a Markdown text is in code (a fenced block or a `span`), where no marker can stand. */
function inCode(text: string, index: number): boolean {
  const before = text.slice(0, index);
  if ((before.match(/^```/gm) ?? []).length % 2 === 1) return true;
  const line = before.slice(before.lastIndexOf('\n') + 1);
  return (line.match(/`/g) ?? []).length % 2 === 1;
}

/**
 * Every `export const NAME = ['a', 'b'] as const;` of the sources (a type in place of `as const` too), with
 * the file that holds it. An item may be a constant of the same package (`[LOCAL_BACKEND, S3_BACKEND]`):
 * its `export const LOCAL_BACKEND = 'local';` gives the word.
 */
function listConstants(texts: Map<string, string>): { name: string; items: string[]; file: string }[] {
  const words = new Map<string, string>();
  for (const [file, text] of texts)
    for (const m of text.matchAll(/^export const ([A-Z][A-Z0-9_]+) = '([^']+)';/gm))
      words.set(`${packageDir(file)} ${m[1] ?? ''}`, m[2] ?? '');
  const lists: { name: string; items: string[]; file: string }[] = [];
  for (const [file, text] of texts)
    for (const m of text.matchAll(
      /^export const ([A-Z][A-Z0-9_]+)(?:: [^=\n]+)? = \[((?:\s*(?:'[^']+'|[A-Z][A-Z0-9_]+),?)+)\s*\](?: as const)?;/gm,
    )) {
      const items = [...(m[2] ?? '').matchAll(/'([^']+)'|([A-Z][A-Z0-9_]+)/g)].map(
        (i) => i[1] ?? words.get(`${packageDir(file)} ${i[2] ?? ''}`),
      );
      if (items.every((i): i is string => i !== undefined)) lists.push({ name: m[1] ?? '', items, file });
    }
  return lists;
}

const SEPARATOR = String.raw`(?:\s*,\s*|\s*\|\s*|\s*/\s*|,?\s+or\s+|,?\s+and\s+)`;

/**
 * Where `items` stand in a row in `text`, all of them, in any order (`m4a, mp3, flac or wav`), each bare or
 * in one of `quotes`. In the sources only bare and `backticked` items are prose: `['vocals', 'drums']` is code.
 * A row that goes on (`mixture, drums, bass, other, vocals`, `mp3, m4a, flac, wav, ogg`) is a longer list
 * of its own: a file layout or what ffmpeg reads, not this one.
 */
function spelledLists(text: string, items: string[], quotes: string): { text: string; index: number }[] {
  const item = String.raw`([${quotes}]?)(?:${items.map(escape).join('|')})\1`;
  const row = new RegExp(
    String.raw`(?<![\w-])${item}(?:${SEPARATOR}${item}){${items.length - 1}}(?![\w-])`,
    'g',
  );
  const goesOn = {
    before: new RegExp(String.raw`[\w-][${quotes}]?(${SEPARATOR})$`),
    after: new RegExp(String.raw`^(${SEPARATOR})[${quotes}]?[\w-]`),
  };
  // `|`, `/` or a comma (`, or` and `and` too): a longer list goes on with the separator of its row.
  const kind = (separator: string): string => /[|/]/.exec(separator)?.[0] ?? ',';
  const found: { text: string; index: number }[] = [];
  for (const m of text.matchAll(row)) {
    const named = items.filter((i) => new RegExp(String.raw`(?<![\w-])${escape(i)}(?![\w-])`).test(m[0]));
    if (named.length !== items.length) continue;
    const own = kind(new RegExp(SEPARATOR).exec(m[0])?.[0] ?? ',');
    const before = goesOn.before.exec(text.slice(Math.max(0, m.index - 40), m.index))?.[1];
    const after = goesOn.after.exec(text.slice(m.index + m[0].length, m.index + m[0].length + 40))?.[1];
    if ([before, after].some((s) => s !== undefined && kind(s) === own)) continue;
    found.push({ text: m[0], index: m.index });
  }
  return found;
}

/** The string literals of a source text, one a line: help texts and messages, not the code around them. */
const strings = (text: string): string =>
  [...text.matchAll(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g)]
    .map((m) => m[0].slice(1, -1))
    .join('\n');

// Places that name a list's items and are not that list, or cannot take it yet, each with why.
const NOT_THE_LIST: { file: string; list: string; why: string }[] = [
  {
    file: 'packages/separation/src/eval/folder-set.ts',
    list: 'STEM_NAMES',
    why: "MUSDB's folder layout (mixture.wav and its four stems): a format of its own, not our STEM_NAMES",
  },
  {
    file: 'services/nas-sync/src/config.ts',
    list: 'ARTIFACT_KINDS',
    why: "the earlier project's remoteRoots, named audio, video and stems: its names, not the artifacts' kinds",
  },
  // Still spelled by hand: @imk/config depends on neither @imk/protocol (AUDIO_FORMATS) nor @imk/retriever-sdk
  // (FETCH_MODES, and retriever-sdk depends on config), so `imk migrate`'s messages cannot take the list yet.
  {
    file: 'packages/config/src/legacy/processing-keys.ts',
    list: 'AUDIO_FORMATS',
    why: 'left: @imk/config cannot import AUDIO_FORMATS',
  },
  {
    file: 'packages/config/src/legacy/service-keys.ts',
    list: 'FETCH_MODES',
    why: 'left: @imk/config cannot import FETCH_MODES',
  },
];

/** Pages that name a list of the earlier project's, which looks like ours but does not change with it. */
const NOT_THE_LIST_IN_DOCS: { page: string; list: string; line: string; why: string }[] = [
  {
    page: 'docs/migration.md',
    list: 'ARTIFACT_KINDS',
    line: '| `artifacts[].kind` | `audio`, `video`, `stems` |',
    why: "the earlier project's kinds, in the table's column of the earlier version: its format, not our list",
  },
];

/** The line of `text` that holds `index`, its cells' padding taken out (prettier pads a table's columns). */
const lineAt = (text: string, index: number): string =>
  (text.slice(text.lastIndexOf('\n', index) + 1).split('\n')[0] ?? '').replace(/ {2,}/g, ' ');

describe('lists written once', () => {
  it("no help text or message spells a list's items by hand: it joins the list", async () => {
    const texts = new Map<string, string>();
    for (const file of await sourceFiles())
      if (relative(REPO, file) !== COPIES_HOME) texts.set(file, code(await readFile(file, 'utf8')));
    const lists = listConstants(texts);
    expect(lists.map((l) => l.name)).toEqual(expect.arrayContaining(CHECKED));
    const found: string[] = [];
    for (const list of lists.filter((l) => CHECKED.includes(l.name)))
      for (const [file, text] of texts) {
        if (file === list.file) continue;
        const name = relative(REPO, file);
        for (const { text: spelled } of spelledLists(strings(text), list.items, '`'))
          if (!NOT_THE_LIST.some((n) => n.file === name && n.list === list.name))
            found.push(`${name}: "${spelled.replace(/\s+/g, ' ')}" (${list.name})`);
      }
    expect(found).toEqual([]);
  });

  it('no page of the docs spells a list by hand: its prose states it through a value marker', async () => {
    const texts = new Map<string, string>();
    for (const file of await sourceFiles())
      if (relative(REPO, file) !== COPIES_HOME) texts.set(file, code(await readFile(file, 'utf8')));
    const found: string[] = [];
    const inExamples: Record<string, number> = {};
    for (const list of listConstants(texts).filter((l) => CHECKED.includes(l.name)))
      for (const [file, text] of await docPages()) {
        const page = relative(REPO, file);
        for (const spelled of spelledLists(text, list.items, '`"')) {
          const said = `${page}: "${spelled.text.replace(/\s+/g, ' ')}" (${list.name})`;
          const line = lineAt(text, spelled.index);
          if (
            NOT_THE_LIST_IN_DOCS.some(
              (n) => n.page === page && n.list === list.name && line.startsWith(n.line),
            )
          )
            continue;
          if (!inCode(text, spelled.index)) found.push(`${said}: say it with <!-- value:… -->`);
          else {
            // An example or a usage line cannot hold a marker: it must be the list, in its order.
            const words = spelled.text.split(new RegExp(SEPARATOR)).map((w) => w.replace(/[`"]/g, ''));
            if (words.join() !== list.items.join()) found.push(`${said}: not ${list.items.join(', ')}`);
            const key = `${page} ${list.name}`;
            inExamples[key] = (inExamples[key] ?? 0) + 1;
          }
        }
      }
    expect(found).toEqual([]);
    // A new example that spells a list is a place to change the day the list changes: count it here.
    expect(inExamples).toEqual(IN_EXAMPLES);
  });
});
