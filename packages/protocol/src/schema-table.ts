import { z } from 'zod';

/** The parts of a JSON Schema (as zod's `toJSONSchema` writes it) that the field tables read. */
export interface JsonSchemaNode {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
  additionalProperties?: JsonSchemaNode | boolean;
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  $ref?: string;
  $defs?: Record<string, JsonSchemaNode>;
}

/** One documented field of a schema, nested fields dotted (`youtube.url`, `artifacts[].sha256`, `backends.<name>.host`). */
export interface SchemaField {
  path: string;
  /** The property names from the root, when every step is a plain object field (what an env override can name). */
  keys: string[] | undefined;
  /** `string`, `list of string`, `map of number`, `"a" | "b"`, `number | null`, … */
  type: string;
  /** Listed in its parent's `required` and without a default. */
  required: boolean;
  /** The default, when the schema gives one (input side: what a missing field becomes). */
  default: unknown;
  /** The field's description, prefixed `(with type: "x") ` for a field of one variant of a tagged union. */
  description: string;
  /** A plain object (its fields are rows of their own). */
  object: boolean;
}

/**
 * The JSON Schema of a zod schema as a writer sees it (defaults and transforms not yet applied), each field's
 * `default` what a missing field becomes.
 */
export function jsonSchemaOf(schema: z.ZodType): JsonSchemaNode {
  return z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    // zod leaves out the default of a field whose type transforms what is written (nas-sync's `backends` and
    // `routes`, both `{}`/`[]` when absent), as the default is of the output's type: the reference then
    // said no default at all. Where the default is as a writer would write it (plain JSON), it is kept.
    override: ({ zodSchema, jsonSchema }) => {
      const def = zodSchema._zod.def;
      if (def.type !== 'default' || jsonSchema.default !== undefined) return;
      const value: unknown = def.defaultValue;
      const json = JSON.stringify(value);
      if (json !== undefined) jsonSchema.default = JSON.parse(json);
    },
  }) as JsonSchemaNode;
}

/** The node a `$ref` points at (keeping the referring node's description). */
export function deref(node: JsonSchemaNode, root: JsonSchemaNode): JsonSchemaNode {
  let current = node;
  for (let i = 0; i < 10 && current.$ref; i++) {
    const name = current.$ref.replace(/^#\/\$defs\//, '');
    current = { ...root.$defs?.[name], ...(current.description && { description: current.description }) };
  }
  return current;
}

const variantsOf = (node: JsonSchemaNode, root: JsonSchemaNode): JsonSchemaNode[] =>
  (node.anyOf ?? node.oneOf ?? [node]).map((v) => deref(v, root));

/** The type of a node in words: one vocabulary for every generated table. */
export function typeOf(node: JsonSchemaNode, root: JsonSchemaNode): string {
  const n = deref(node, root);
  if (n.const !== undefined) return `\`${JSON.stringify(n.const)}\``;
  if (n.enum) return n.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' | ');
  const union = n.anyOf ?? n.oneOf;
  if (union) return [...new Set(union.map((v) => typeOf(v, root)))].join(' | ');
  if (n.type === 'array') return `list of ${n.items ? typeOf(n.items, root) : 'values'}`;
  if (n.type === 'object' && !n.properties && typeof n.additionalProperties === 'object')
    return `map of ${typeOf(n.additionalProperties, root)}`;
  if (Array.isArray(n.type)) return n.type.join(' | ');
  return n.type ?? 'any';
}

/** Every field of a schema, depth first, in declaration order. */
export function schemaFields(root: JsonSchemaNode): SchemaField[] {
  const fields: SchemaField[] = [];
  walk(root, root, '', [], '', fields);
  return fields;
}

function walk(
  node: JsonSchemaNode,
  root: JsonSchemaNode,
  path: string,
  keys: string[] | undefined,
  note: string,
  fields: SchemaField[],
): void {
  const objects = variantsOf(deref(node, root), root).filter((v) => v.properties);
  if (objects.length > 1) {
    // A union of object shapes: each variant's fields, named by its tag (a field with a constant value).
    for (const variant of objects) {
      const tag = Object.entries(variant.properties ?? {}).find(([, p]) => p.const !== undefined);
      const when = tag ? `(with ${tag[0]}: ${JSON.stringify(tag[1].const)}) ` : `${note}(either) `;
      walk(variant, root, path, undefined, when, fields);
    }
    return;
  }
  // A plain object, or one that may also be null (or another non-object): its fields.
  const n = objects[0];
  if (!n) return;
  for (const [key, raw] of Object.entries(n.properties ?? {})) {
    const child = deref(raw, root);
    const childPath = path ? `${path}.${key}` : key;
    const childKeys = keys && [...keys, key];
    fields.push({
      path: childPath,
      keys: childKeys,
      type: typeOf(child, root),
      required: (n.required?.includes(key) ?? false) && child.default === undefined,
      default: child.default,
      description: `${note}${child.description ?? variantsOf(child, root).find((v) => v.description)?.description ?? ''}`,
      object: child.properties !== undefined,
    });
    const variants = variantsOf(child, root);
    if (variants.some((v) => v.properties)) walk(child, root, childPath, childKeys, note, fields);
    const items = variants.find((v) => v.type === 'array')?.items;
    if (items && hasFields(items, root)) walk(items, root, `${childPath}[]`, undefined, note, fields);
    const values = variants.find((v) => typeof v.additionalProperties === 'object')?.additionalProperties;
    if (typeof values === 'object' && !child.properties && hasFields(values, root))
      walk(values, root, `${childPath}.<name>`, undefined, note, fields);
  }
}

function hasFields(node: JsonSchemaNode, root: JsonSchemaNode): boolean {
  return variantsOf(deref(node, root), root).some((v) => v.properties !== undefined);
}

/** Text made safe for one Markdown table cell: pipes escaped, line breaks folded into one space. */
export function markdownCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}
