import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jsonSchemaOf, schemaFields } from '@imk/protocol';
import { documentedSchemas, replaceConfigDefaults } from '../src/config-defaults-doc.ts';
import type { ConfigFile } from '../src/config-reference.ts';
import { REPO } from './source-files.ts';

// STYLE 16: docs/nas-sync.md's field tables wrote every default by hand (`pollIntervalSec` `5`,
// `maxNameBytes` `255`, …) and the README "dashboard on port 8080", beside the schemas' `.default()`:
// change a default and the page goes on stating the old one. The pages state them through markers that
// `npm run docs:config` fills from the schemas (packages/cli/src/config-defaults-doc.ts).

/** README.md and docs/*.md, but for pages generated whole (configuration.md). */
async function pages(): Promise<Map<string, string>> {
  const files = [
    join(REPO, 'README.md'),
    ...(await readdir(join(REPO, 'docs'))).filter((n) => n.endsWith('.md')).map((n) => join(REPO, 'docs', n)),
  ];
  const texts = new Map<string, string>();
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    if (!/^# .*\n+<!-- Generated/.test(text)) texts.set(relative(REPO, file), text);
  }
  return texts;
}

/** A page without its generated blocks (tables, value markers) and without code, which cannot hold a marker. */
const tablesOutsideBlocks = (text: string): string =>
  text
    .replace(/<!-- config-defaults [\s\S]*?<!-- \/config-defaults -->/g, '')
    .replace(/<!-- value:([a-z-]+) -->[\s\S]*?<!-- \/value:\1 -->/g, '')
    .replace(/<!-- fields:([a-z-]+) -->[\s\S]*?<!-- \/fields:\1 -->/g, '')
    .replace(/<!-- builtin-params -->[\s\S]*?<!-- \/builtin-params -->/g, '')
    .replace(/^```[\s\S]*?^```/gm, '');

/** A page's hand-written words: without generated blocks, code, or the defaults its markers state. */
const handWritten = (text: string): string =>
  tablesOutsideBlocks(text).replace(/<!-- config-default [\s\S]*?<!-- \/config-default -->/g, '');

describe('the config defaults the docs state', () => {
  it("are the schemas' (run `npm run docs:config` after changing a default)", async () => {
    const files = await documentedSchemas();
    const found: string[] = [];
    for (const [name, text] of await pages())
      if (replaceConfigDefaults(text, files) !== text) found.push(name);
    expect(found, 'out of date: run `npm run docs:config`').toEqual([]);
  });

  it('are all stated through a marker: no table has a default column written by hand', async () => {
    // A table of fields is generated whole (config-defaults); another (operations.md's retention) states
    // each figure of its default column through a config-default marker: no digit or value is left in it.
    const found: string[] = [];
    for (const [name, text] of await pages()) {
      let column = -1;
      for (const line of tablesOutsideBlocks(text).split('\n')) {
        if (!line.startsWith('|')) {
          column = -1;
          continue;
        }
        const cells = line.split(/(?<!\\)\|/).slice(1, -1);
        if (column < 0) {
          column = cells.findIndex((cell) => cell.trim() === 'default');
          continue;
        }
        const cell = (cells[column] ?? '').replace(
          /<!-- config-default [\s\S]*?<!-- \/config-default -->/g,
          '',
        );
        if (/^\s*-+\s*$/.test(cell)) continue;
        if (/[\d`]/.test(cell)) found.push(`${name}: ${cell.trim()}`);
      }
    }
    expect(found).toEqual([]);
    const nasSync = (await pages()).get('docs/nas-sync.md') ?? '';
    expect(nasSync.match(/<!-- config-defaults nas-sync /g)).toHaveLength(7);
  });

  it('are stated through a marker in prose too: no setting is followed by "default" and a figure, or by its default', async () => {
    // `subscriptionRetry` (default `5m`), "dashboard on port 8080", `maxDurationSec` (…, default 2 hours).
    const files = await documentedSchemas();
    const settings = new Map<string, Set<string>>();
    for (const file of files)
      for (const field of schemaFields(jsonSchemaOf(file.schema))) {
        const leaf = field.path.split('.').pop() ?? '';
        if (!/^[a-zA-Z]\w+$/.test(leaf)) continue;
        const values = settings.get(leaf) ?? new Set<string>();
        if (typeof field.default === 'number' || typeof field.default === 'string')
          values.add(String(field.default));
        settings.set(leaf, values);
      }
    const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const found: string[] = [];
    for (const [name, text] of await pages()) {
      const prose = handWritten(text);
      // A figure in backticks quotes a message or a command (`port 8080 on 127.0.0.1 is already in use`).
      const words = prose.replace(/`[^`\n]*`/g, '``');
      for (const [leaf, values] of settings) {
        // `maxDurationSec` (config/instrumental-maker.yaml, default 2 hours): a sentence's words, its file names.
        // `retry.maxWaitMs` (24 h): a figure in brackets right after the setting's name.
        const stated = new RegExp(
          String.raw`\`(?:[\w<>]+\.)*${leaf}\`(?:\s*\(\s*\`?\d|(?:[^.|\n]|\.(?!\s)){0,60}?\bdefault:?\s+\`?\d)`,
          'g',
        );
        for (const m of prose.matchAll(stated)) found.push(`${name}: ${m[0]}`);
        for (const value of values) {
          if (!/^\d{2,}$/.test(value)) continue;
          const figure = new RegExp(String.raw`\b${leaf}\s+${escape(value)}\b(?![:\d]|\.\d)`, 'g');
          for (const m of words.matchAll(figure)) found.push(`${name}: ${m[0]}`);
        }
      }
    }
    expect(found).toEqual([]);
  });
});

describe('replaceConfigDefaults', () => {
  const files: ConfigFile[] = [
    {
      service: 'demo',
      description: 'a demo',
      schema: z.object({
        port: z.number().default(8080).describe('TCP port.'),
        user: z.string().optional().describe('Login name. @default the current user'),
        partSize: z.number().default(16 * 1024 * 1024),
        backends: z.record(
          z.string(),
          z.discriminatedUnion('type', [
            z.object({ type: z.literal('a'), verify: z.string().default('sha256'), root: z.string() }),
            z.object({
              type: z.literal('b'),
              verify: z.string().default('sha256'),
              root: z.string().default('/'),
            }),
          ]),
        ),
      }),
    },
  ];
  const table = (marker: string, rows: string[]): string =>
    [
      `<!-- config-defaults ${marker} -->`,
      '| field | default | meaning |',
      '| --- | --- | --- |',
      ...rows,
      '<!-- /config-defaults -->',
    ].join('\n');

  it('writes the default column from the schema, a figure typed by hand that differs included', () => {
    expect(
      replaceConfigDefaults(
        table('demo .', ['| `port`, `user` | `80`, you | where |', '| `partSize` | 16 MiB | |']),
        files,
      ),
    ).toBe(
      table('demo .', [
        '| `port`, `user` | `8080`, the current user | where |',
        '| `partSize` | `16777216` (16 MiB) | |',
      ]),
    );
    expect(
      replaceConfigDefaults('on port <!-- config-default demo port -->80<!-- /config-default -->.', files),
    ).toBe('on port <!-- config-default demo port -->8080<!-- /config-default -->.');
  });

  it("takes a variant's field by its tag, and a field every variant has when they agree", () => {
    expect(
      replaceConfigDefaults(table('demo backends.<name> type=b', ['| `root` | x | |']), files),
    ).toContain('| `root` | `/` | |');
    expect(
      replaceConfigDefaults(table('demo backends.<name> type=a', ['| `root` | x | |']), files),
    ).toContain('| `root` | required | |');
    expect(replaceConfigDefaults(table('demo backends.<name>', ['| `verify` | x | |']), files)).toContain(
      '| `verify` | `sha256` | |',
    );
    expect(() => replaceConfigDefaults(table('demo backends.<name>', ['| `root` | x | |']), files)).toThrow(
      /different default in each variant/,
    );
  });

  it('refuses a marker that names no file or field, so none is left unfilled', () => {
    expect(() =>
      replaceConfigDefaults('<!-- config-default nope port -->1<!-- /config-default -->', files),
    ).toThrow(/no config file "nope"/);
    expect(() => replaceConfigDefaults(table('demo .', ['| `prot` | 1 | |']), files)).toThrow(/prot/);
  });
});
