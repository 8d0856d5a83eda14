import { documentJsonSchema, type DocumentName } from './json-schema.ts';
import { markdownCell, schemaFields } from './schema-table.ts';

/**
 * A Markdown table of every field of a document, nested fields dotted (`youtube.url`, `artifacts[].sha256`),
 * generated from the JSON Schema (itself generated from zod) so docs/protocol.md cannot drift.
 */
export function documentFieldTable(name: DocumentName): string {
  const lines = ['| field | type | required | meaning |', '|---|---|---|---|'];
  for (const field of schemaFields(documentJsonSchema(name)))
    lines.push(
      `| \`${field.path}\` | ${markdownCell(field.type)} | ${field.required ? 'yes' : 'no'} | ${markdownCell(field.description)} |`,
    );
  return lines.join('\n');
}

/**
 * Replaces every `<!-- fields:NAME -->` … `<!-- /fields:NAME -->` block of a Markdown text with the
 * current table of document NAME.
 */
export function replaceFieldTables(markdown: string): string {
  return markdown.replace(
    /<!-- fields:([a-z-]+) -->[\s\S]*?<!-- \/fields:\1 -->/g,
    (_block, name: string) =>
      `<!-- fields:${name} -->\n${documentFieldTable(name as DocumentName)}\n<!-- /fields:${name} -->`,
  );
}

/**
 * Replaces every `<!-- value:NAME -->…<!-- /value:NAME -->` of a Markdown text with `values[NAME]`: a default
 * that prose states (the lease time, say) is written by its home's constant, not by hand. An unknown NAME
 * is an error, so that a marker can never be left unfilled.
 */
export function replaceDocValues(markdown: string, values: Readonly<Record<string, string>>): string {
  return markdown.replace(/<!-- value:([a-z-]+) -->[\s\S]*?<!-- \/value:\1 -->/g, (_block, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for the marker <!-- value:${name} --> in the docs`);
    return `<!-- value:${name} -->${value}<!-- /value:${name} -->`;
  });
}
