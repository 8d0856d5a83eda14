// docker-compose.yml and the Dockerfile, checked without a container engine: the compose file against the
// Compose Specification's JSON schema (vendored in docker/compose-spec/), and every service's command,
// health check, volumes and environment against the imk CLI and the config schemas.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadServiceConfig, resolvePaths } from '@imk/config';
import { OPERATIONS_SERVICE, OperationsConfigSchema } from '@imk/ops';
import type { z } from 'zod';
import { envPrefix, resolveConfigField } from './config-reference.ts';
import { createProgram } from './main.ts';
import { SERVICE_NAMES, loadService } from './services.ts';

const REPO = join(import.meta.dirname, '..', '..', '..');
const DATA = resolvePaths('/data');
/** Variables a container may set that are not config fields: where the root is, log level, secrets. */
const OTHER_ENV = new Set(['IMK_ROOT', 'IMK_LOG_LEVEL', 'IMK_DEEMIX_ARL']);

interface ComposeService {
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
  volumes?: string[];
  healthcheck?: { test?: string[] };
  profiles?: string[];
  restart?: string;
  user?: string;
  build?: { target?: string; dockerfile?: string };
  deploy?: { resources?: { reservations?: { devices?: { capabilities?: string[] }[] } } };
}

/** Compose's variable interpolation, with each variable unset: defaults apply, required ones get a value. */
function interpolate(text: string): string {
  return text.replace(
    /\$\{([A-Z0-9_]+)(?:(:?-)([^}]*)|(:?\?)([^}]*))?\}/g,
    (_m, name: string, dash?: string, fallback?: string, q?: string) => {
      if (dash) return fallback ?? '';
      if (q) return `placeholder-for-${name.toLowerCase()}-0123456789`;
      return '';
    },
  );
}

async function loadCompose(): Promise<
  { services: Record<string, ComposeService> } & Record<string, unknown>
> {
  const text = interpolate(await readFile(join(REPO, 'docker-compose.yml'), 'utf8'));
  return parse(text, { merge: true }) as { services: Record<string, ComposeService> };
}

async function configSchema(service: string): Promise<z.ZodType> {
  if (service === OPERATIONS_SERVICE) return OperationsConfigSchema;
  return (await loadService(service)).configSchema;
}

/**
 * This revision of the schema labels its parts with draft-04 style `id` strings (never used by its own
 * `$ref`s, which are JSON pointers); Ajv refuses that keyword, so the labels are dropped before compiling.
 */
function withoutLegacyIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLegacyIds);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutLegacyIds(value)]),
  );
}

/** The service whose config an `IMK_<SERVICE>__…` variable addresses, and the field segments. */
function splitEnv(name: string): { service: string; segments: string[] } | undefined {
  for (const service of [...SERVICE_NAMES, OPERATIONS_SERVICE]) {
    const prefix = envPrefix(service);
    if (name.startsWith(prefix)) return { service, segments: name.slice(prefix.length).split('__') };
  }
  return undefined;
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', async () => {
    const { $schema: _draft, ...schema } = withoutLegacyIds(
      JSON.parse(await readFile(join(REPO, 'docker', 'compose-spec', 'compose-spec.json'), 'utf8')),
    ) as Record<string, unknown>;
    // The file names its draft as ".../draft/2019-09/schema#"; Ajv2019 knows that draft by another URI.
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    ajv.addFormat('duration', /^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$/);
    ajv.addFormat('ports', true);
    ajv.addFormat('expose', true);
    ajv.addFormat('subnet_ip_address', true);
    const validate = ajv.compile(schema);
    const compose = await loadCompose();
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
    // The validation does bite: a misspelt key or a wrong type is refused.
    expect(
      validate({ ...compose, services: { web: { ...compose.services.web, restart_policy: 'always' } } }),
    ).toBe(false);
    expect(validate({ ...compose, services: { web: { ...compose.services.web, ports: 'x' } } })).toBe(false);
  });

  it('has one container per service, each running a real imk verb for itself, with restart and health checks', async () => {
    const { services } = await loadCompose();
    const always = Object.entries(services).filter(([, s]) => !s.profiles);
    expect(always.map(([name]) => name).sort()).toEqual([...SERVICE_NAMES].sort());
    const verbs = createProgram().commands.map((c) => c.name());
    for (const [name, service] of Object.entries(services)) {
      const [verb, target, ...rest] = service.command ?? [];
      expect(verbs, `${name}: command`).toContain(verb);
      expect(verb, name).toBe('run');
      expect(SERVICE_NAMES, `${name}: imk run ${target}`).toContain(target);
      expect(rest).toEqual([]);
      expect(name.replace(/-demucs$/, ''), `${name} runs ${target}`).toBe(target);
      expect(service.healthcheck?.test, name).toEqual(['CMD', 'imk', 'healthcheck', target]);
      expect(verbs).toContain('healthcheck');
      expect(service.restart, name).toBe('unless-stopped');
      expect(service.user, name).toMatch(/^\d+:\d+$/);
    }
  });

  it('shares queues, outputs, config and state among all containers at the paths the config expects', async () => {
    const { services } = await loadCompose();
    const mounts = (s: ComposeService) =>
      new Map((s.volumes ?? []).map((v) => [v.split(':')[1], v.split(':')[0]]));
    const first = mounts(services.web!);
    for (const [name, service] of Object.entries(services)) {
      const own = mounts(service);
      expect(service.environment?.IMK_ROOT, name).toBe(DATA.root);
      for (const dir of [DATA.queues, DATA.outputs, DATA.config, DATA.state]) {
        expect(own.get(dir), `${name} mounts ${dir}`).toBeDefined();
        expect(own.get(dir), `${name}: ${dir} is the same host folder as web's`).toBe(first.get(dir));
      }
    }
    expect([...mounts(services.inbox!).keys()]).toContain('/data/inbox');
    expect([...mounts(services['youtube-retriever']!).keys()]).toContain('/data/requests');
  });

  it('sets only environment variables that name real config fields, with values the schemas accept', async () => {
    const { services } = await loadCompose();
    const root = await mkdtemp(join(tmpdir(), 'imk-compose-'));
    try {
      for (const [name, service] of Object.entries(services)) {
        const env = Object.fromEntries(
          Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v ?? '')]),
        );
        for (const variable of Object.keys(env)) {
          if (OTHER_ENV.has(variable)) continue;
          const split = splitEnv(variable);
          expect(
            split,
            `${name}: ${variable} addresses no config file (IMK_<SERVICE>__<FIELD>)`,
          ).toBeDefined();
          const schema = await configSchema(split!.service);
          expect(
            resolveConfigField(schema, split!.segments),
            `${name}: ${variable} names no field of config/${split!.service}.yaml`,
          ).toBeDefined();
          // The whole config, with the container's overrides, must still validate.
          await loadServiceConfig({ service: split!.service, schema, root, env });
        }
      }
      // A misspelt variable would be caught.
      expect(resolveConfigField(await configSchema('web'), ['TOKN'])).toBeUndefined();
      const web = services.web!.environment!;
      expect(web.IMK_WEB__HOST).toBe('0.0.0.0');
      expect(String(web.IMK_WEB__TOKEN)).toMatch(/placeholder/); // required from .env, never a default
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('offers a demucs worker on an NVIDIA GPU behind the demucs profile', async () => {
    const { services } = await loadCompose();
    const demucs = services['instrumental-maker-demucs']!;
    expect(demucs.profiles).toEqual(['demucs']);
    expect(demucs.build?.target).toBe('demucs');
    expect(demucs.environment?.IMK_INSTRUMENTAL_MAKER__ENGINE__NAME).toBe('demucs');
    expect(demucs.deploy?.resources?.reservations?.devices?.[0]?.capabilities).toEqual(['gpu']);
  });
});

describe('docker/Dockerfile', () => {
  it('is multi-stage, installs yt-dlp at build time, runs as a non-root user with imk as entrypoint', async () => {
    const text = await readFile(join(REPO, 'docker', 'Dockerfile'), 'utf8');
    const stages = [...text.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]);
    expect(stages).toEqual(expect.arrayContaining(['deps', 'runtime', 'demucs']));
    const { services } = await loadCompose();
    for (const service of Object.values(services)) expect(stages).toContain(service.build?.target);
    expect(text).toMatch(/pip install [^\n]*yt-dlp/);
    expect(text).toMatch(/ln -s \/opt\/tools\/bin\/yt-dlp \/usr\/local\/bin\/yt-dlp/);
    const users = [...text.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBe('imk');
    expect(text).toMatch(/useradd --uid 10001/);
    expect(text).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--", "imk"\]$/m);
    expect(text).toMatch(/^ENV [^]*IMK_ROOT=\/data/m);
  });
});
