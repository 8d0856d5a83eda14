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
