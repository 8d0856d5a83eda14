import { documentJsonSchema, type DocumentName } from './json-schema.ts';

interface JsonSchemaNode {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  additionalProperties?: JsonSchemaNode | boolean;
}

interface Row {
  field: string;
  type: string;
  required: boolean;
  description: string;
}

/**
 * A Markdown table of every field of a document, nested fields dotted (`youtube.url`, `artifacts[].sha256`),
 * generated from the JSON Schema (itself generated from zod) so docs/protocol.md cannot drift.
 */
export function documentFieldTable(name: DocumentName): string {
  const rows: Row[] = [];
  collect(documentJsonSchema(name), '', rows);
  const lines = ['| field | type | required | meaning |', '|---|---|---|---|'];
  for (const row of rows)
    lines.push(`| \`${row.field}\` | ${row.type} | ${row.required ? 'yes' : 'no'} | ${row.description} |`);
  return lines.join('\n');
}

function collect(node: JsonSchemaNode, prefix: string, rows: Row[]): void {
  const required = new Set(node.required ?? []);
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const field = prefix + key;
    rows.push({
      field,
      type: typeName(child),
      required: required.has(key),
      description: escape(child.description ?? describeOf(child)),
    });
    const object = objectOf(child);
    if (object?.properties) collect(object, `${field}.`, rows);
    const items = itemsOf(child);
    if (items?.properties) collect(items, `${field}[].`, rows);
  }
}

const variants = (node: JsonSchemaNode): JsonSchemaNode[] => node.anyOf ?? [node];
const objectOf = (node: JsonSchemaNode) => variants(node).find((v) => v.type === 'object' && v.properties);
const itemsOf = (node: JsonSchemaNode) => variants(node).find((v) => v.type === 'array')?.items;
const describeOf = (node: JsonSchemaNode): string =>
  variants(node).find((v) => v.description)?.description ?? '';

function typeName(node: JsonSchemaNode): string {
  if (node.anyOf) return [...new Set(node.anyOf.map(typeName))].join(' or ');
  if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(', ');
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.type === 'array') return `array of ${node.items ? typeName(node.items) : 'any'}`;
  if (node.type === 'object' && !node.properties) return 'object (map)';
  if (Array.isArray(node.type)) return node.type.join(' or ');
  return node.type ?? 'any';
}

const escape = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

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
