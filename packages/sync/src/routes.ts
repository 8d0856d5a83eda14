import { posix } from 'node:path';
import { z } from 'zod';
import { retiredKeys } from '@imk/config';
import { MAX_NAME_BYTES, fitBytes, safeFileName } from '@imk/fs-safe';
import { syncError } from './errors.ts';

/** The backend a route without `backend:` uses: `backends.local` when defined, else a plain local folder. */
export const DEFAULT_BACKEND = 'local';

/** Fields a `to` template may use, each filled from the manifest and its artifact. */
export const TEMPLATE_FIELDS = [
  'artist',
  'album',
  'title',
  'job_id',
  'ext',
  'kind',
  'variant',
  'label',
  'source_type',
  'filename',
  'basename',
  'container',
  'codec',
] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];
export type TemplateValues = Record<TemplateField, string>;

/**
 * Extensions that make the last part of `to` a file name (`.../{title}.m4a`). A short list of the files this
 * project makes and users keep beside them, rather than "anything after a dot": folders such as `Vol.1`,
 * `Mr. Big` or `Greatest Hits 2.0` stay folders. Any other name can be made a file name with `.{ext}`.
 */
export const FILE_EXTENSIONS = [
  ...['m4a', 'mp3', 'flac', 'wav', 'aif', 'aiff', 'ogg', 'oga', 'opus', 'aac', 'alac', 'wma', 'mka'],
  ...['mp4', 'm4v', 'mkv', 'webm', 'mov', 'avi'],
  ...['jpg', 'jpeg', 'png', 'webp', 'gif', 'json', 'txt', 'lrc', 'cue', 'nfo', 'yml', 'yaml', 'zip'],
] as const;

const MatchValueSchema = z
  // null and "" (a YAML `variant:` left empty) are "any", as the earlier project read them.
  .union([z.string(), z.array(z.string().min(1)).min(1), z.null()])
  .optional()
  .describe('A value, a list of values, or a pattern with * (absent, empty or "*" = any).');

export const RouteMatchSchema = z.strictObject({
  kind: MatchValueSchema,
  variant: MatchValueSchema,
  source_type: MatchValueSchema,
});
/** A route's match as the routes use it: each field a value, a list or a pattern; absent = any. */
export interface RouteMatch {
  kind?: string | string[] | undefined;
  variant?: string | string[] | undefined;
  source_type?: string | string[] | undefined;
}

/** A match value as written: null and "" mean any (the earlier project's `if match_kind and …`). */
const anyWhenEmpty = (value: string | string[] | null | undefined): string | string[] | undefined =>
  value === null || value === '' ? undefined : value;

function readMatch(match: z.output<typeof RouteMatchSchema>): RouteMatch {
  return {
    kind: anyWhenEmpty(match.kind),
    variant: anyWhenEmpty(match.variant),
    source_type: anyWhenEmpty(match.source_type),
  };
}

/**
 * The error for `to: null` or `to: ""`, what a user writes to mean "nowhere": the config error puts the
 * route's dotted path (`nasSync.routes.N.to`) before it.
 */
const TO_NOWHERE = (what: 'null' | 'empty'): string =>
  `"to" is ${what}, but a route needs a destination; to send the artifacts this route matches nowhere, remove "to" and write skip: true`;

/**
 * A route: which artifacts (`match`), where (`to`, a template) and through which backend; or, with
 * `skip: true`, that the artifacts it matches are sent nowhere (the earlier project's route without `to`).
 * The earlier project's shape `{kind, variant, to}` is accepted too and read as `match: {kind, variant}`.
 */
const RouteObjectSchema = z
  .strictObject({
    name: z.string().optional().describe('Shown in logs and status. @default "routes.<index>"'),
    match: RouteMatchSchema.optional().describe(
      'Which artifacts the route takes: every field given must match. Absent (and no legacy keys) = every artifact.',
    ),
    kind: MatchValueSchema.describe('Legacy shape: same as match.kind.'),
    variant: MatchValueSchema.describe('Legacy shape: same as match.variant.'),
    source_type: MatchValueSchema.describe('Legacy shape: same as match.source_type.'),
    to: z
      .string({ error: (issue) => (issue.input === null ? TO_NOWHERE('null') : undefined) })
      .min(1, { error: TO_NOWHERE('empty') })
      .optional()
      .describe(
        `Where the artifact goes (required unless skip: true). A folder (e.g. "\${remoteRoots.audio}/Instrumental", "Vol.1", or a bare "\${remoteRoots.stems}"): the artifact keeps its own file name inside it. A file name when the last part contains {filename}, or ends in .{ext} or a known extension (${FILE_EXTENSIONS.map((e) => '.' + e).join(' ')}), e.g. "\${remoteRoots.audio}/{artist}/{title} ({variant}).{ext}". A trailing / always means a folder. Every part is cut to 255 bytes (the title, never the variant suffix or extension).`,
      ),
    skip: z
      .boolean()
      .default(false)
      .describe(
        'true: the artifacts this route matches are sent nowhere, and no later route takes them (the earlier project\'s route without "to"). Such a route has no to, backend, refresh or continue.',
      ),
    backend: z.string().min(1).optional().describe(`A name under backends. @default "${DEFAULT_BACKEND}"`),
    refresh: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        'Media servers (names under mediaServers) asked to look for new files after a pass delivered some through this route.',
      ),
    continue: z
      .boolean()
      .default(false)
      .describe(
        'The first matching route wins; with continue: true, later routes may match the same artifact too (a second copy).',
      ),
  })
  .superRefine((route, ctx) => {
    if (route.match && [route.kind, route.variant, route.source_type].some((v) => v !== undefined))
      ctx.addIssue({
        code: 'custom',
        message: 'give either match: {…} or the legacy kind/variant keys, not both',
      });
    if (!route.skip && route.to === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message:
          'a route needs "to" (where its artifacts go), or skip: true to send the artifacts it matches nowhere',
      });
    if (route.skip)
      for (const field of ['to', 'backend', 'refresh'] as const)
        if (route[field] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: `a route with skip: true sends nothing, so it takes no ${field}; remove one of them`,
          });
    if (route.skip && route.continue)
      ctx.addIssue({
        code: 'custom',
        path: ['continue'],
        message:
          'a route with skip: true keeps later routes from its artifacts; continue: true contradicts it',
      });
  })
  .transform((route) => ({
    name: route.name,
    match: readMatch(
      route.match ?? { kind: route.kind, variant: route.variant, source_type: route.source_type },
    ),
    // Absent only on a skip route (checked above).
    to: route.to,
    backend: route.backend ?? DEFAULT_BACKEND,
    continue: route.continue,
    ...(route.skip && { skip: true as const }),
    ...(route.refresh && { refresh: route.refresh }),
  }));

/** A route; the earlier version's per-destination words are said as what replaces them, not as near-misses. */
export const RouteSchema = retiredKeys(RouteObjectSchema, {
  method:
    "a route names its destination with backend: <a name under backends> (the earlier version's method rsync, s3, scp or local is that backend's type; see docs/migration.md)",
  overwrite:
    'whether a different file at the destination is overwritten is set once, nasSync.conflict: replace overwrites it, rename (the default) delivers as "Title (2).m4a" beside it (see docs/migration.md)',
});
/** A checked route; `continue` may be left out by code that builds routes itself (it is false then). */
export type Route = Omit<z.output<typeof RouteSchema>, 'continue'> & { continue?: boolean };

const ROOT_TOKEN = /^\$\{remoteRoots\.([A-Za-z0-9_-]+)\}/;
const LITERAL_EXTENSION = new RegExp(`\\.(${FILE_EXTENSIONS.join('|')})$`, 'i');

/** Whether the last part of `to` names a file: it uses {filename}, or ends in .{ext} or a known extension. */
export function isFileNamePart(last: string): boolean {
  return last.includes('{filename}') || last.endsWith('.{ext}') || LITERAL_EXTENSION.test(last);
}

/**
 * What `to` means, as in the earlier project: a folder, into which the artifact goes under its own file
 * name, unless its last part is a file-name template. `dir/` and `dir` are the same folder, and a trailing
 * `/` always means a folder.
 */
export function withFileName(to: string): string {
  const trimmed = to.replace(/\/+$/, '');
  if (trimmed === '') return '/{filename}';
  const last = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  if (!to.endsWith('/') && !ROOT_TOKEN.test(last) && isFileNamePart(last)) return trimmed;
  return `${trimmed}/{filename}`;
}
const TOKEN = /\$\{[^}]*\}|\{([^{}]*)\}/g;
const ANY_ROOT_TOKEN = /\$\{remoteRoots\.([A-Za-z0-9_-]+)\}/g;

/**
 * A remote root's folder. An empty one is not configured (the earlier project's example config listed
 * `audio: ""`, `video: ""`, `stems: ""` to be filled in): a route using it is a mistake, said as such.
 */
function rootValue(
  key: string,
  remoteRoots: Readonly<Record<string, string | undefined>>,
): { path: string; problem?: undefined } | { path: ''; problem: string } {
  const value = remoteRoots[key];
  if (value === undefined)
    return { path: '', problem: `uses \${remoteRoots.${key}} but remoteRoots has no "${key}"` };
  if (value.trim() === '')
    return {
      path: '',
      problem: `uses \${remoteRoots.${key}} but remoteRoots.${key} is empty (not configured); give it a folder, or remove this route`,
    };
  return { path: value };
}

/** A route's `to` split into the part the config fixes (the root) and the part filled per artifact. */
export interface CompiledTemplate {
  /** The remote root: everything the config decides. A rendered path always stays below it. */
  root: string;
  /** The rest, relative to root, with `{field}` placeholders. */
  relative: string;
}

/**
 * Checks and splits a template. The root is `${remoteRoots.X}` when the template starts with it, else the
 * literal folder before the first placeholder (a `${remoteRoots.X}` further on is filled in first, as the
 * earlier project did). Returns a problem text instead of throwing (config check).
 */
export function compileTemplate(
  to: string,
  remoteRoots: Readonly<Record<string, string | undefined>>,
): CompiledTemplate | string {
  let template = withFileName(to);
  let root: string;
  // The earlier project put a root's value wherever `${remoteRoots.X}` stood (`/backup${remoteRoots.audio}/x`);
  // one that does not start the template is part of the literal folders, and the root is found below.
  const head = ROOT_TOKEN.exec(template)?.[0].length ?? 0;
  for (const token of template.slice(head).matchAll(ANY_ROOT_TOKEN)) {
    // After a field it would put the remote root below a folder the manifest names.
    if (/\{/.test(template.slice(head, head + token.index).replace(ANY_ROOT_TOKEN, '')))
      return `${token[0]} may only start the template or stand before its first {field}`;
    const value = rootValue(token[1] ?? '', remoteRoots);
    if (value.problem !== undefined) return value.problem;
    if (/[{}]/.test(value.path))
      return `remoteRoots.${token[1] ?? ''} holds a { or }, so it cannot stand inside the path`;
  }
  template =
    template.slice(0, head) +
    template.slice(head).replace(ANY_ROOT_TOKEN, (_whole, key: string) => remoteRoots[key] ?? '');
  const rootToken = ROOT_TOKEN.exec(template);
  if (rootToken) {
    const key = rootToken[1] ?? '';
    const value = rootValue(key, remoteRoots);
    if (value.problem !== undefined) return value.problem;
    root = value.path.replace(/\/+$/, '') || '/';
    template = template.slice(rootToken[0].length).replace(/^\/+/, '');
  } else {
    const firstField = template.search(/\{/);
    const literal = firstField === -1 ? template : template.slice(0, firstField);
    const cut = literal.lastIndexOf('/');
    root = cut <= 0 ? (cut === 0 ? '/' : '') : literal.slice(0, cut);
    template = template.slice(cut + 1);
  }
  for (const match of template.matchAll(TOKEN)) {
    if (match[0].startsWith('$')) return `${match[0]} may only start the template`;
    if (!(TEMPLATE_FIELDS as readonly string[]).includes(match[1] ?? ''))
      return `unknown field {${match[1] ?? ''}}; known: ${TEMPLATE_FIELDS.map((f) => `{${f}}`).join(', ')}`;
  }
  const literalParts = `${root}/${template.replace(TOKEN, 'x')}`;
  if (literalParts.split('/').includes('..'))
    return 'must not contain ".." (a route stays inside its remote root)';
  if (/[{}]/.test(template.replace(TOKEN, ''))) return 'has an unmatched { or }';
  if (template === '') return 'names a folder but no file';
  return { root, relative: template };
}

/**
 * Fills a compiled template. Every value is made a safe single file name first (no "/", no leading dots,
 * safe on NTFS/SMB), and the result is checked to be below the root: a manifest can never steer a write
 * outside the remote root.
 */
export function renderTemplate(
  template: CompiledTemplate,
  values: TemplateValues,
  maxNameBytes = MAX_NAME_BYTES,
): string {
  const relative = template.relative.replace(TOKEN, (_whole, field: string) =>
    safeFileName(fitName(values[field as TemplateField] ?? '', maxNameBytes), '', 'unknown'),
  );
  const normalized = posix
    .normalize(relative)
    .split('/')
    .map((part) => fitName(part, maxNameBytes))
    .join('/');
  if (
    normalized.startsWith('/') ||
    normalized.split('/').some((segment) => segment === '..' || segment === '')
  )
    throw syncError(
      'BACKEND_CONFIG_INVALID',
      `route path "${relative}" would leave its remote root ${template.root}`,
    );
  if (template.root === '') return normalized;
  return template.root === '/' ? `/${normalized}` : `${template.root}/${normalized}`;
}

/**
 * Cuts one path part to 255 UTF-8 bytes, the limit of ext4, NTFS, SMB and most object-store tools: the
 * head (the title) is cut between grapheme clusters (fs-safe's fitBytes: a flag, an emoji sequence or an
 * accent stays whole); a trailing " (variant)" suffix and the extension stay.
 */
export function fitName(name: string, maxBytes = MAX_NAME_BYTES): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  const ext = /\.[A-Za-z0-9]{1,8}$/.exec(name)?.[0] ?? '';
  const stem = name.slice(0, name.length - ext.length);
  const suffix = /\s\([^()]{1,64}\)$/.exec(stem)?.[0] ?? '';
  const head = stem.slice(0, stem.length - suffix.length);
  const budget = maxBytes - Buffer.byteLength(suffix + ext);
  const cut = fitBytes(head, Math.max(0, budget));
  return `${cut.replace(/[. ]+$/, '') || '_'}${suffix}${ext}`;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

function valueMatches(expected: string | string[] | undefined, actual: string | undefined): boolean {
  if (expected === undefined) return true;
  const list = Array.isArray(expected) ? expected : [expected];
  return list.some(
    (pattern) => pattern === '*' || (actual !== undefined && globToRegExp(pattern).test(actual)),
  );
}

const MATCH_FIELDS = ['kind', 'variant', 'source_type'] as const;

/** A route's match as a user wrote it, for status lines: `kind: audio, variant: [drums, bass]`, or `every artifact`. */
export function describeMatch(
  match: RouteMatch,
  fields: readonly (keyof RouteMatch)[] = MATCH_FIELDS,
): string {
  const parts = fields.flatMap((field) => {
    const value = match[field];
    if (value === undefined) return [];
    return [`${field}: ${Array.isArray(value) ? `[${value.join(', ')}]` : value}`];
  });
  return parts.length > 0 ? parts.join(', ') : 'every artifact';
}

/** What the log, the receipt and `imk sync status` say of an artifact no route takes. */
export const UNROUTED = 'no route matches this artifact';

/** A value as a near miss compares it: case, "-", "_" and spaces set aside. */
const loose = (value: string): string => value.toLowerCase().replace(/[-_\s]+/g, '_');

/**
 * Why no route takes an artifact. Values are compared exactly, as in the earlier project, so a route written
 * `variant: Instrumental` (the label's spelling), `kind: Audio` or `no-drums` takes nothing: the first route
 * that would take the artifact but for case, "-" or "_" is named, with what to write.
 */
export function unroutedReason(
  routes: readonly { name: string; route: { match: RouteMatch } }[],
  facts: { kind: string; variant?: string; source_type?: string },
): string {
  for (const { name, route } of routes) {
    const differ = MATCH_FIELDS.filter((field) => !valueMatches(route.match[field], facts[field]));
    const near = (field: (typeof MATCH_FIELDS)[number]) => {
      const actual = facts[field];
      const expected = route.match[field];
      return (
        actual !== undefined &&
        expected !== undefined &&
        (Array.isArray(expected) ? expected : [expected]).some((p) =>
          globToRegExp(loose(p)).test(loose(actual)),
        )
      );
    };
    if (differ.length === 0 || !differ.every(near)) continue;
    const write = differ.map((field) => `${field}: ${facts[field] ?? ''}`).join(', ');
    return `${UNROUTED}; route "${name}" asks for ${describeMatch(route.match, differ)}, which differs from it only by case, "-" or "_" (values are compared exactly, as in the earlier project): write ${write}`;
  }
  return UNROUTED;
}

/** Whether a route takes an artifact. */
export function routeMatches(
  match: RouteMatch,
  artifact: { kind: string; variant?: string; source_type?: string },
): boolean {
  return (
    valueMatches(match.kind, artifact.kind) &&
    valueMatches(match.variant, artifact.variant) &&
    valueMatches(match.source_type, artifact.source_type)
  );
}
