import type { z } from 'zod';
import { OPERATIONS_SERVICE, OperationsConfigSchema } from '@imk/ops';
import { MAX_TIMER_MS, PATHS_CONFIG, PathsConfigSchema } from '@imk/config';
import { NOTIFY_CONFIG, NotifyConfigSchema } from '@imk/notify';
import { deref, jsonSchemaOf, markdownCell, schemaFields, type JsonSchemaNode } from '@imk/protocol';
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

const normalize = (key: string): string => key.replace(/[^a-z0-9]/gi, '').toLowerCase();

/**
 * The dotted field an env override names, matching segments as the config loader does (case- and
 * separator-insensitively), or undefined when a segment names no field.
 */
export function resolveConfigField(schema: z.ZodType, segments: string[]): string | undefined {
  const root = jsonSchemaOf(schema);
  const path: string[] = [];
  let nodes: JsonSchemaNode[] = [root];
  for (const segment of segments) {
    const next: JsonSchemaNode[] = [];
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

/** `IMK_WEB__DISK_GUARD__MIN_FREE_MB` for web's `diskGuard.minFreeMb`. */
function envName(service: string, keys: string[]): string {
  return (
    envPrefix(service) + keys.map((k) => k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('__')
  );
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
    'values are read as JSON when they parse, else as text without the spaces and line breaks around it, so',
    'an env file\'s "\\r" line ends do not count), which wins over the file. Secrets (tokens, the',
    'Deezer ARL, S3 keys, SSH keys) belong in the environment or in files named by the config, never in YAML;',
    'every one is read without the spaces and line breaks around it (a variable made from a file, as a',
    'Kubernetes or Docker secret is, ends in one), and a line break inside one is an error naming the variable',
    'or file, never the value.',
    'A field not listed here is an error, not ignored: the service stops at start with the file, the dotted',
    'path and the field it most likely meant (`stems.kep: unknown setting "kep"; did you mean "keep"?`).',
    'A section key left with nothing after it (`events:`) is null in YAML, not "no settings": the error says',
    'so; write its settings below it, or remove the line.',
    `A wait a service times (a poll interval, a grace period, a backoff, a timeout) is at most ${Math.floor(MAX_TIMER_MS / 1000)} seconds`,
    `(${MAX_TIMER_MS} ms, about 24 days), the longest a timer can wait: a longer one is an error naming the`,
    'field (it used to be waited for 1 ms, so an interval of years ran back to back).',
    '',
    'Files: ' + files.map((f) => `[\`config/${f.service}.yaml\`](#${f.service})`).join(', ') + '.',
    '',
  ];
  for (const file of files) {
    const root = jsonSchemaOf(file.schema);
    out.push(`## ${file.service}`, '', `\`config/${file.service}.yaml\`: ${file.description}.`, '');
    if (root.description) out.push(markdownCell(root.description), '');
    out.push('| field | type | default | description | environment |', '| --- | --- | --- | --- | --- |');
    for (const field of schemaFields(root)) {
      const fallback = field.required ? '*required*' : '';
      const value = field.default !== undefined ? `\`${JSON.stringify(field.default)}\`` : fallback;
      const env = field.keys && !field.object ? `\`${envName(file.service, field.keys)}\`` : '';
      out.push(
        `| \`${field.path}\` | ${markdownCell(field.type)} | ${markdownCell(value)} | ${markdownCell(field.description)} | ${env} |`,
      );
    }
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** The reference as committed: rendered, then formatted by Prettier with the repository's settings. */
export async function formattedConfigReference(file: string): Promise<string> {
  // Prettier is a devDependency (the docs are generated in a checkout): imported here, not at the top, so
  // that `imk doctor`, which lists the config files, runs where `npm ci --omit=dev` left it out (the image).
  const { format, resolveConfig } = await import('prettier');
  const options = (await resolveConfig(file)) ?? {};
  return format(renderConfigReference(await configFiles()), { ...options, filepath: file });
}
