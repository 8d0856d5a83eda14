import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LEGACY_KEYS, validateConfig } from '@imk/config';
import { policyOfCode } from '@imk/errors';
import { parseSidecar } from '@imk/instrumental-maker-service';
import { NotifyEventSchema } from '@imk/notify';
import { configFiles, envPrefix, resolveConfigField } from '../src/config-reference.ts';
import { createProgram } from '../src/main.ts';

// Outside checkers copy what README.md and docs/*.md quote and run it on a fresh machine. These tests
// hold every quoted name to the code: an imk verb or option, an error code, an environment variable, a
// constant, an import, the earlier version's settings table, and the JSON and YAML examples that no
// other test reads (readme-examples.test.ts checks the `# config/<service>.yaml` blocks).
const REPO = join(import.meta.dirname, '..', '..', '..');

async function pages(): Promise<Map<string, string>> {
  const names = (await readdir(join(REPO, 'docs'))).filter((n) => n.endsWith('.md')).map((n) => `docs/${n}`);
  const out = new Map<string, string>();
  for (const name of ['README.md', ...names]) out.set(name, await readFile(join(REPO, name), 'utf8'));
  return out;
}

/** The fenced blocks of a page: language and text. */
function blocks(markdown: string): { lang: string; text: string }[] {
  return [...markdown.matchAll(/^ *```([a-z]*)\n([\s\S]*?)^ *```/gm)].map((m) => ({
    lang: m[1]!,
    text: m[2]!.replace(/^ {2}/gm, ''),
  }));
}

/** What a user would copy: each line of a shell (or untyped) block without its comment, and each inline code span. */
function quoted(markdown: string): string[] {
  const lines = blocks(markdown)
    .filter((b) => ['', 'sh', 'bash'].includes(b.lang))
    .flatMap((b) => b.text.split('\n').map((line) => line.replace(/(^|\s)#.*$/, '')));
  const prose = markdown.replace(/^ *```[\s\S]*?^ *```/gm, '');
  return [...lines, ...[...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!)];
}

function optionsOf(command: Command): Set<string> {
  return new Set([...command.options.map((o) => o.long ?? ''), '--help']);
}

describe('imk command lines in the docs', () => {
  it('name verbs and options `imk <verb> --help` lists', async () => {
    const program = createProgram();
    const problems: string[] = [];
    let checked = 0;
    for (const [page, markdown] of await pages()) {
      for (const snippet of quoted(markdown)) {
        // `npx imk up`, `imk sync status --json`; not `npm run imk -- …` (no verb follows).
        for (const m of snippet.matchAll(
          /(?:^|[\s(])imk ([a-z][a-z-]*)((?: [a-z][a-z-]*)?)(.*?)(?=\bimk |$)/g,
        )) {
          let command = program.commands.find((c) => c.name() === m[1]);
          if (!command) {
            problems.push(`${page}: \`${snippet}\`: imk has no verb "${m[1]}"`);
            continue;
          }
          const sub = command.commands.find((c) => c.name() === m[2]!.trim());
          if (sub) command = sub;
          else if (
            command.commands.length > 0 &&
            m[2]!.trim() !== '' &&
            command.registeredArguments.length === 0
          )
            problems.push(`${page}: \`${snippet}\`: imk ${m[1]} has no sub-command "${m[2]!.trim()}"`);
          const rest = sub ? m[3]! : m[2]! + m[3]!;
          const known = optionsOf(command);
          for (const flag of rest.matchAll(/(?<![\w-])--[a-z][a-z-]*/g))
            if (!known.has(flag[0]))
              problems.push(`${page}: \`${snippet}\`: imk ${command.name()} has no ${flag[0]}`);
          checked += 1;
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });
});

/** Every non-test source and benchmark file, and the files a deployment reads, as one text to look names up in. */
async function sourceText(): Promise<string> {
  const parts: string[] = [];
  for (const group of ['packages', 'services'])
    for (const name of await readdir(join(REPO, group)))
      for (const folder of ['src', 'bench']) {
        const dir = join(REPO, group, name, folder);
        const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
        for (const entry of entries)
          if (entry.isFile() && /\.(ts|js|mjs|sh)$/.test(entry.name) && !entry.name.includes('.test.'))
            parts.push(await readFile(join(entry.parentPath, entry.name), 'utf8'));
      }
  for (const file of ['docker-compose.yml', 'docker/Dockerfile', '.env.example', 'scripts/system-deps.sh'])
    parts.push(await readFile(join(REPO, file), 'utf8'));
  for (const name of await readdir(join(REPO, 'scripts')))
    if (name.endsWith('.ts')) parts.push(await readFile(join(REPO, 'scripts', name), 'utf8'));
  return parts.join('\n');
}

// Names in capitals the docs quote that no source file uses: a POSIX clock, an example job id, the variable
// onnxruntime-node's install script reads, and the one the dashboard's end-to-end test reads.
const NOT_IN_SOURCE = new Set([
  'CLOCK_MONOTONIC',
  'AC_DC',
  'ONNXRUNTIME_NODE_INSTALL',
  'IMK_UPDATE_SCREENSHOT',
]);

describe('names in capitals the docs quote', () => {
  it('are error codes of a catalogue, config variables, settings of the earlier version, or names the code uses', async () => {
    // Importing each catalogue registers its codes (policyOfCode answers for them).
    for (const group of ['packages', 'services'])
      for (const name of await readdir(join(REPO, group)))
        await import(join(REPO, group, name, 'src', 'errors.ts')).catch((error: unknown) => {
          if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
        });
    const files = await configFiles();
    const legacy = new Set(LEGACY_KEYS.map((k) => k.key));
    const source = await sourceText();
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const [page, markdown] of await pages()) {
      for (const m of markdown.matchAll(/`(?:\d{3} )?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:=[^`\n]*)?`/g)) {
        const name = m[1]!;
        if (seen.has(`${page} ${name}`)) continue;
        seen.add(`${page} ${name}`);
        if (policyOfCode(name) !== undefined || legacy.has(name) || NOT_IN_SOURCE.has(name)) continue;
        const file = files.find((f) => name.startsWith(envPrefix(f.service)));
        if (file) {
          const segments = name.slice(envPrefix(file.service).length).split('__');
          if (resolveConfigField(file.schema, segments) === undefined)
            problems.push(`${page}: ${name} names no field of config/${file.service}.yaml`);
          continue;
        }
        if (!new RegExp(`\\b${name}\\b`).test(source))
          problems.push(`${page}: ${name} is no error code, config variable or name the code uses`);
      }
    }
    expect(problems).toEqual([]);
    expect(seen.size).toBeGreaterThan(250);
  });
});

describe('TypeScript examples in the docs', () => {
  it('import only what the package they name exports', async () => {
    const indexes = new Map<string, string>();
    for (const group of ['packages', 'services'])
      for (const name of await readdir(join(REPO, group))) {
        const pkg = JSON.parse(await readFile(join(REPO, group, name, 'package.json'), 'utf8')) as {
          name: string;
        };
        const index = await readFile(join(REPO, group, name, 'src', 'index.ts'), 'utf8').catch(() => '');
        indexes.set(pkg.name, index);
      }
    const problems: string[] = [];
    let imports = 0;
    for (const [page, markdown] of await pages())
      for (const block of blocks(markdown).filter((b) => b.lang === 'ts'))
        for (const m of block.text.matchAll(/import (?:type )?\{([^}]+)\} from '(@imk\/[a-z-]+)'/g)) {
          const index = indexes.get(m[2]!);
          imports += 1;
          if (index === undefined) {
            problems.push(`${page}: no package ${m[2]}`);
            continue;
          }
          for (const name of m[1]!.split(',').map((n) => n.replace(/^type /, '').trim()))
            if (name && !new RegExp(`\\b${name}\\b`).test(index))
              problems.push(`${page}: ${m[2]} exports no ${name}`);
        }
    expect(problems).toEqual([]);
    expect(imports).toBeGreaterThanOrEqual(4);
  });
});

describe("docs/migration.md's table of the earlier version's settings", () => {
  it('has one row per variable imk migrate knows, whose "Ours" is what imk migrate says', async () => {
    const doc = await readFile(join(REPO, 'docs', 'migration.md'), 'utf8');
    const rows = new Map<string, string>();
    for (const m of doc.matchAll(/^\| `([A-Z][A-Z0-9_]+)` +\| (.*?) +\|/gm)) rows.set(m[1]!, m[2]!);
    const table = LEGACY_KEYS.map((k) => [k.key, rows.get(k.key)]);
    expect(table).toEqual(LEGACY_KEYS.map((k) => [k.key, k.ours ?? '—']));
    expect([...rows.keys()].filter((key) => !LEGACY_KEYS.some((k) => k.key === key))).toEqual([]);
  });
});

describe('JSON and YAML examples no config check reads', () => {
  it("docs/notifications.md's webhook body is an event as the notifier sends it", async () => {
    const doc = await readFile(join(REPO, 'docs', 'notifications.md'), 'utf8');
    const json = blocks(doc).filter((b) => b.lang === 'json');
    expect(json).toHaveLength(1);
    const result = NotifyEventSchema.strict().safeParse(JSON.parse(json[0]!.text));
    expect(result.success ? [] : result.error.issues).toEqual([]);
  });

  it("docs/instrumental-maker.md's sidecar is read whole: no unknown key, no warning", async () => {
    const doc = await readFile(join(REPO, 'docs', 'instrumental-maker.md'), 'utf8');
    const sidecars = blocks(doc).filter((b) => b.lang === 'yaml' && b.text.startsWith('# song.m4a.yaml\n'));
    expect(sidecars).toHaveLength(1);
    const options = parseSidecar('song.m4a.yaml', sidecars[0]!.text);
    expect({ unknownKeys: options.unknownKeys, warnings: options.warnings }).toEqual({
      unknownKeys: [],
      warnings: [],
    });
    expect(options).toMatchObject({ keepStems: ['vocals', 'drums'], format: 'flac', model: 'htdemucs' });
  });

  it("docs/nas-sync.md's route fragments (`routes:` blocks) are valid routes of config/nas-sync.yaml", async () => {
    const schema = (await configFiles()).find((f) => f.service === 'nas-sync')!.schema;
    const doc = await readFile(join(REPO, 'docs', 'nas-sync.md'), 'utf8');
    const fragments = blocks(doc).filter((b) => b.lang === 'yaml' && b.text.startsWith('routes:\n'));
    expect(fragments.length).toBeGreaterThanOrEqual(3);
    for (const fragment of fragments) {
      const { routes } = parse(fragment.text) as { routes: unknown };
      const config = {
        nasSync: {
          enabled: true,
          remoteRoots: { audio: '/mnt/audio', stems: '/mnt/stems' },
          // The backends the fragments name, so that only the routes are judged.
          backends: { nas: { type: 'local', root: '/' }, bucket: { type: 'local', root: '/' } },
          routes,
        },
      };
      const result = validateConfig(schema, config);
      expect(result.ok ? [] : result.problems, fragment.text).toEqual([]);
    }
  });
});

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\- ]/gu, '')
    .replaceAll(' ', '-');

describe('links between the docs', () => {
  it('lead to a file of the repository and, with a #, to a heading of that page', async () => {
    const all = await pages();
    const withoutCode = (markdown: string) => markdown.replace(/^ *```[\s\S]*?^ *```/gm, '');
    const anchors = new Map(
      [...all].map(([page, markdown]) => [
        page,
        new Set([...withoutCode(markdown).matchAll(/^#+ (.*)$/gm)].map((m) => anchorOf(m[1]!))),
      ]),
    );
    const problems: string[] = [];
    let links = 0;
    for (const [page, markdown] of all)
      for (const m of withoutCode(markdown).matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1]!;
        if (/^[a-z]+:/.test(link) || link.startsWith('<')) continue;
        links += 1;
        const [path = '', anchor] = link.split('#');
        const target = path === '' ? page : join(page, '..', path).replace(/^\.\//, '');
        const exists = await readFile(join(REPO, target)).then(
          () => true,
          (error: NodeJS.ErrnoException) => error.code === 'EISDIR',
        );
        if (!exists) problems.push(`${page}: ${link}: no ${target}`);
        else if (anchor && target.endsWith('.md') && !anchors.get(target)?.has(anchor))
          problems.push(`${page}: ${link}: ${target} has no heading #${anchor}`);
      }
    expect(problems).toEqual([]);
    expect(links).toBeGreaterThan(40);
  });
});

describe('files of the repository the docs name', () => {
  it('exist: every `packages/…`, `services/…`, `scripts/…`, `docker/…` and `examples/…` path', async () => {
    const problems: string[] = [];
    let paths = 0;
    for (const [page, markdown] of await pages())
      for (const m of markdown.matchAll(/`((?:packages|services|scripts|docker|examples)\/[\w./-]+)`/g)) {
        paths += 1;
        const exists = await readFile(join(REPO, m[1]!)).then(
          () => true,
          (error: NodeJS.ErrnoException) => error.code === 'EISDIR',
        );
        if (!exists) problems.push(`${page}: ${m[1]} does not exist`);
      }
    expect(problems).toEqual([]);
    expect(paths).toBeGreaterThan(30);
  });
});

describe("the README's Configuration section", () => {
  it('names every config file a service or the CLI reads', async () => {
    const readme = (await pages()).get('README.md')!;
    const section = readme.slice(
      readme.indexOf('## Configuration'),
      readme.indexOf('## Running it as containers'),
    );
    const missing = (await configFiles())
      .map((f) => `config/${f.service}.yaml`)
      .filter((f) => !section.includes(f));
    expect(missing).toEqual([]);
  });
});

describe('a config example that says it shows the defaults', () => {
  it('shows each setting with its default (a setting with no default may show an example)', async () => {
    const files = await configFiles();
    const problems: string[] = [];
    let examples = 0;
    for (const [page, markdown] of await pages())
      for (const m of markdown.matchAll(
        /```yaml\n# config\/([a-z-]+)\.yaml[^\n]*these are the defaults[^\n]*\n([\s\S]*?)```/g,
      )) {
        examples += 1;
        const schema = files.find((f) => f.service === m[1])!.schema;
        const compare = (shown: unknown, defaults: unknown, path: string): void => {
          for (const [key, value] of Object.entries(shown as Record<string, unknown>)) {
            const fallback = (defaults as Record<string, unknown> | undefined)?.[key];
            if (fallback === undefined) continue;
            if (value && typeof value === 'object' && !Array.isArray(value))
              compare(value, fallback, `${path}${key}.`);
            else if (JSON.stringify(value) !== JSON.stringify(fallback))
              problems.push(
                `${page}: ${path}${key} shows ${JSON.stringify(value)}, its default is ${JSON.stringify(fallback)}`,
              );
          }
        };
        compare(parse(m[2]!), schema.parse({}), '');
      }
    expect(problems).toEqual([]);
    expect(examples).toBeGreaterThanOrEqual(1);
  });
});
