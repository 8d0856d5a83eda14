import { format, resolveConfig } from 'prettier';
import { z } from 'zod';
import { OPERATIONS_SERVICE, OperationsConfigSchema } from '@imk/ops';
import { PATHS_CONFIG, PathsConfigSchema } from '@imk/config';
import { NOTIFY_CONFIG, NotifyConfigSchema } from '@imk/notify';
import { SERVICE_NAMES, loadService } from './services.ts';

/** One config file: `config/<service>.yaml`, with `IMK_<SERVICE>__…` env overrides. */
export interface ConfigFile {
  service: string;
  /** What the service is, for the heading. */
  description: string;
  schema: z.ZodType;
}

/** Every config file of the system: each service's, then `operations` (cleanup and disk guard). */
export async function configFiles(): Promise<ConfigFile[]> {
  const files: ConfigFile[] = [];
  for (const name of SERVICE_NAMES) {
    const { description, configSchema } = await loadService(name);
    files.push({ service: name, description, schema: configSchema });
  }
  files.push({
    service: PATHS_CONFIG,
    description:
      'where `queues/` and `outputs/` live, when not under the root (a shared mount for several hosts, or an existing layout kept in place)',
    schema: PathsConfigSchema,
  });
  files.push({
    service: NOTIFY_CONFIG,
    description:
      'notifications (job succeeded or failed, files synced or not) to a signed webhook, ntfy or Apprise; read by every process that sends (docs/notifications.md)',
    schema: NotifyConfigSchema,
  });
  files.push({
    service: OPERATIONS_SERVICE,
    description:
      'retention cleanup (`imk cleanup`, and on a schedule in the web service) and the disk-space guard',
    schema: OperationsConfigSchema,
  });
  return files;
}

/** `web` -> `IMK_WEB__`, as @imk/config's env overrides read it. */
export function envPrefix(service: string): string {
  return `IMK_${service.replace(/[^a-z0-9]/gi, '_').toUpperCase()}__`;
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
};

export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

function deref(node: JsonSchema, root: JsonSchema): JsonSchema {
  let current = node;
  for (let i = 0; i < 10 && current.$ref; i++) {
    const name = current.$ref.replace(/^#\/\$defs\//, '');
    current = { ...root.$defs?.[name], ...(current.description && { description: current.description }) };
  }
  return current;
}

const normalize = (key: string): string => key.replace(/[^a-z0-9]/gi, '').toLowerCase();

/**
 * The dotted field an env override names, matching segments as the config loader does (case- and
 * separator-insensitively), or undefined when a segment names no field.
 */
export function resolveConfigField(schema: z.ZodType, segments: string[]): string | undefined {
  const root = jsonSchemaOf(schema);
  const path: string[] = [];
  let nodes: JsonSchema[] = [root];
  for (const segment of segments) {
    const next: JsonSchema[] = [];
    let key: string | undefined;
    for (const raw of nodes) {
      const node = deref(raw, root);
      const variants = node.anyOf ?? node.oneOf ?? [node];
      for (const variant of variants.map((v) => deref(v, root))) {
        const match = Object.keys(variant.properties ?? {}).find((k) => normalize(k) === normalize(segment));
        if (match) {
          key = match;
          next.push(variant.properties![match]!);
        } else if (typeof variant.additionalProperties === 'object') {
          key ??= segment.toLowerCase();
          next.push(variant.additionalProperties);
        }
      }
    }
    if (next.length === 0 || key === undefined) return undefined;
    path.push(key);
    nodes = next;
  }
  return path.join('.');
}

interface Row {
  path: string;
  type: string;
  default: string;
  description: string;
  env: string;
}

function typeOf(node: JsonSchema, root: JsonSchema): string {
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

function hasFields(node: JsonSchema, root: JsonSchema): boolean {
  const n = deref(node, root);
  return (
    n.properties !== undefined ||
    (n.anyOf ?? n.oneOf ?? []).some((v) => deref(v, root).properties !== undefined)
  );
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function walk(
  node: JsonSchema,
  root: JsonSchema,
  path: string,
  env: string | undefined,
  note: string,
  rows: Row[],
): void {
  const n = deref(node, root);
  const union = (n.anyOf ?? n.oneOf)?.map((v) => deref(v, root));
  if (union?.some((v) => v.properties)) {
    for (const variant of union) {
      const tag = Object.entries(variant.properties ?? {}).find(([, p]) => p.const !== undefined);
      const when = tag ? `(with ${tag[0]}: ${JSON.stringify(tag[1].const)}) ` : `${note}(either) `;
      walk(variant, root, path, undefined, when, rows);
    }
    return;
  }
  for (const [key, raw] of Object.entries(n.properties ?? {})) {
    const child = deref(raw, root);
    const childPath = path ? `${path}.${key}` : key;
    const childEnv =
      env === undefined
        ? undefined
        : `${env}${env.endsWith('__') ? '' : '__'}${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
    const required = n.required?.includes(key) && child.default === undefined;
    rows.push({
      path: childPath,
      type: typeOf(child, root),
      default:
        child.default !== undefined ? `\`${JSON.stringify(child.default)}\`` : required ? '*required*' : '',
      description: `${note}${child.description ?? ''}`,
      env: childEnv && !child.properties ? `\`${childEnv}\`` : '',
    });
    if (child.properties || child.anyOf || child.oneOf) walk(child, root, childPath, childEnv, note, rows);
    else if (child.type === 'array' && child.items && deref(child.items, root).properties)
      walk(child.items, root, `${childPath}[]`, undefined, note, rows);
    else if (typeof child.additionalProperties === 'object' && hasFields(child.additionalProperties, root))
      walk(child.additionalProperties, root, `${childPath}.<name>`, undefined, note, rows);
  }
}

/** docs/configuration.md, generated from the zod schemas (`npm run docs:config`). */
export function renderConfigReference(files: ConfigFile[]): string {
  const out: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated from the zod schemas by `npm run docs:config`; do not edit by hand. A test fails when this file',
    '     and the schemas disagree. -->',
    '',
    'Every service reads one optional YAML file, `config/<service>.yaml` under the root (`--root`, `IMK_ROOT`,',
    'or the current folder). A missing file means the defaults below. Any field can also be set from the',
    'environment as `IMK_<SERVICE>__<FIELD>__<SUBFIELD>=value` (names match case- and separator-insensitively;',
    'values are read as JSON when they parse, else as text), which wins over the file. Secrets (tokens, the',
    'Deezer ARL, S3 keys, SSH keys) belong in the environment or in files named by the config, never in YAML.',
    'A field not listed here is an error, not ignored: the service stops at start with the file, the dotted',
    'path and the field it most likely meant (`stems.kep: unknown setting "kep"; did you mean "keep"?`).',
    '',
    'Files: ' + files.map((f) => `[\`config/${f.service}.yaml\`](#${f.service})`).join(', ') + '.',
    '',
  ];
  for (const file of files) {
    const root = jsonSchemaOf(file.schema);
    const rows: Row[] = [];
    walk(root, root, '', envPrefix(file.service), '', rows);
    out.push(`## ${file.service}`, '', `\`config/${file.service}.yaml\`: ${file.description}.`, '');
    if (root.description) out.push(cell(root.description), '');
    out.push('| field | type | default | description | environment |', '| --- | --- | --- | --- | --- |');
    for (const row of rows)
      out.push(
        `| \`${row.path}\` | ${cell(row.type)} | ${cell(row.default)} | ${cell(row.description)} | ${row.env} |`,
      );
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** The reference as committed: rendered, then formatted by Prettier with the repository's settings. */
export async function formattedConfigReference(file: string): Promise<string> {
  const options = (await resolveConfig(file)) ?? {};
  return format(renderConfigReference(await configFiles()), { ...options, filepath: file });
}
