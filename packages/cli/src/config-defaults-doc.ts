import { jsonSchemaOf, markdownCell, schemaFields, type SchemaField } from '@imk/protocol';
import { DemucsEngineOptionsSchema } from '@imk/separation';
import { configFiles, type ConfigFile } from './config-reference.ts';

// STYLE 16: a config default is written once, in its schema's `.default()`. A page that states one (a
// table of a backend's fields with a default column, "the dashboard on port 8080") takes it from there:
// `npm run docs:config` fills in every marker below, and a test fails when a page is behind.
//
//   <!-- config-defaults nas-sync nasSync.backends.<name> type=s3 -->  a table whose first column names
//   | field | default | meaning |                                    fields (in backticks, relative to the
//   …                                                                path) and whose `default` column is
//   <!-- /config-defaults -->                                        written from their schema
//
//   <!-- config-default web port -->8080<!-- /config-default -->     one default, in prose
//   <!-- config-default instrumental-maker retry.maxWaitMs h -->24<!-- /config-default -->  a time, in h
//
// A table of a file's top-level fields names the path `.`.

const TABLE =
  /(<!-- config-defaults ([a-z-]+) (\S+)(?: (\w+)=(\S+))? -->\n)([\s\S]*?)(<!-- \/config-defaults -->)/g;
const INLINE = /<!-- config-default ([a-z-]+) (\S+)(?: (s|min|h))? -->[\s\S]*?<!-- \/config-default -->/g;
// A time in prose is said in the unit that reads best (`retry.maxWaitMs` as 24 h): ms in each unit.
const UNIT_MS = { ms: 1, s: 1000, min: 60_000, h: 3_600_000 } as const;
// The unit of a field, by the end of its name (`maxWaitMs`, `pollIntervalSec`, `intervalMinutes`).
const FIELD_UNITS: [RegExp, keyof typeof UNIT_MS][] = [
  [/Ms$/, 'ms'],
  [/(?:Sec|Seconds)$/, 's'],
  [/Minutes$/, 'min'],
  [/Hours$/, 'h'],
];
const MiB = 1024 * 1024;

/** The fields of each config file's schema, read once per call. */
function fieldLookup(files: readonly ConfigFile[]) {
  const cache = new Map<string, SchemaField[]>();
  return (service: string, path: string, tag?: { key: string; value: string }): SchemaField => {
    let fields = cache.get(service);
    if (!fields) {
      const file = files.find((f) => f.service === service);
      if (!file)
        throw new Error(
          `a config-default marker names no config file "${service}" (known: ${files.map((f) => f.service).join(', ')})`,
        );
      fields = schemaFields(jsonSchemaOf(file.schema));
      cache.set(service, fields);
    }
    const variant = tag && `(with ${tag.key}: ${JSON.stringify(tag.value)}) `;
    const found = fields.filter((f) => f.path === path && (!variant || f.description.startsWith(variant)));
    const first = found[0];
    if (!first)
      throw new Error(
        `a config-default marker names ${path}${variant ? ` ${variant.trim()}` : ''}, which the schema of ${service} has no field for`,
      );
    // A field every variant of a tagged union has (a backend's `verify`) is one row when they agree.
    const values = new Set(found.map(defaultCell));
    if (values.size > 1)
      throw new Error(
        `${service}'s ${path} has a different default in each variant (${[...values].join(', ')}): name one in the marker (type=…)`,
      );
    return first;
  };
}

/**
 * What the markers may name: every config file, and the demucs engine's options (its `engine.params` in
 * config/instrumental-maker.yaml, as `engine-demucs`).
 */
export async function documentedSchemas(): Promise<ConfigFile[]> {
  return [
    ...(await configFiles()),
    {
      service: 'engine-demucs',
      description: "the demucs engine's options (engine.params)",
      schema: DemucsEngineOptionsSchema,
    },
  ];
}

/** A default as a table cell: the value in backticks (a size in MiB said too), else what the field's description says its absence means. */
function defaultCell(field: SchemaField): string {
  const value = field.default;
  if (typeof value === 'string' && value !== '') return `\`${value}\``;
  if (value !== undefined) {
    const text = `\`${JSON.stringify(value)}\``;
    return typeof value === 'number' && value >= MiB && value % MiB === 0
      ? `${text} (${value / MiB} MiB)`
      : text;
  }
  // `@default the current user`: a fallback the code computes, said in the schema's description.
  const stated = /@default\s+([\s\S]+)$/.exec(field.description)?.[1]?.trim();
  if (stated) {
    if (/^"[^"]*"/.test(stated)) return stated.replace(/^"([^"]*)"/, '`$1`');
    // A path or another setting (`~/.ssh/known_hosts`, `nasSync.concurrency`) as code; words as words.
    return /^[\w~-]*[./][\w.~/-]*$/.test(stated) ? `\`${stated}\`` : stated;
  }
  return field.required ? 'required' : 'none';
}

/** A default in prose: the bare value. */
function defaultText(field: SchemaField, unit: keyof typeof UNIT_MS | undefined): string {
  if (field.default === undefined) throw new Error(`${field.path} has no default to state`);
  if (unit === undefined)
    return typeof field.default === 'string' ? field.default : JSON.stringify(field.default);
  const own = FIELD_UNITS.find(([end]) => end.test(field.path))?.[1];
  if (typeof field.default !== 'number' || own === undefined)
    throw new Error(
      `${field.path} is no time its name gives the unit of (…Ms, …Sec, …Minutes, …Hours): no ${unit} to state`,
    );
  return String((field.default * UNIT_MS[own]) / UNIT_MS[unit]);
}

/** The cells of a Markdown table row, without the outer pipes (an escaped `\|` stays inside its cell). */
const cellsOf = (line: string): string[] =>
  line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/);

function fillTable(body: string, field: (path: string) => SchemaField, where: string): string {
  const lines = body.split('\n');
  const header = lines.findIndex((line) => line.trim().startsWith('|'));
  const column = cellsOf(lines[header] ?? '').findIndex((cell) => cell.trim() === 'default');
  if (header < 0 || column < 0)
    throw new Error(`${where}: no table with a "default" column below the marker`);
  return lines
    .map((line, i) => {
      if (i <= header + 1 || !line.trim().startsWith('|')) return line;
      const cells = cellsOf(line);
      const names = [...(cells[0] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
      if (names.length === 0) throw new Error(`${where}: a row names no field in backticks: ${line.trim()}`);
      const values = names.map((name) => defaultCell(field(name)));
      const expected = markdownCell(new Set(values).size === 1 ? (values[0] ?? '') : values.join(', '));
      if (cells[column]?.trim() === expected) return line;
      cells[column] = ` ${expected} `;
      return `|${cells.join('|')}|`;
    })
    .join('\n');
}

/**
 * Writes the config defaults a Markdown page states through markers from the schemas of `files`; an unknown
 * file, field or table is an error, so that no marker is left unfilled.
 */
export function replaceConfigDefaults(markdown: string, files: readonly ConfigFile[]): string {
  const lookup = fieldLookup(files);
  return markdown
    .replace(
      TABLE,
      (
        _all,
        open: string,
        service: string,
        path: string,
        key: string | undefined,
        value: string | undefined,
        body: string,
        close: string,
      ) => {
        const tag = key && value ? { key, value } : undefined;
        // `.`: the fields of the file's root.
        const at = (name: string): string => (path === '.' ? name : `${path}.${name}`);
        const filled = fillTable(body, (name) => lookup(service, at(name), tag), open.trim());
        return `${open}${filled}${close}`;
      },
    )
    .replace(INLINE, (_all, service: string, path: string, unit: keyof typeof UNIT_MS | undefined) => {
      const marker = [service, path, unit].filter(Boolean).join(' ');
      return `<!-- config-default ${marker} -->${defaultText(lookup(service, path), unit)}<!-- /config-default -->`;
    });
}
