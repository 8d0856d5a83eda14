// What the tests of `imk migrate` and of the earlier version's settings share: the CLI as a user runs it, a
// scratch folder per file, and the check that every config file written loads in its service.
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect } from 'vitest';
import { PathsConfigSchema, checkServiceConfig } from '@imk/config';
import { legacySample, materializeLegacySample } from '@imk/media/legacy-samples';
import { parse as parseYaml } from 'yaml';
import { loadService } from '../src/services.ts';
import { IMK } from './imk-bin.ts';
import { imkInProcess } from './in-process.ts';

export const imk = (args: string[], env: Record<string, string> = {}, timeout?: number) =>
  execa(IMK, args, {
    reject: false,
    all: true,
    env: { IMK_LOG_LEVEL: 'warn', ...env },
    ...(timeout !== undefined && { timeout, forceKillAfterDelay: 1000 }),
  });

/** The earlier version's shipped NAS routes (legacy-samples/nas-sync.legacy-routes.yaml), as its NAS_SYNC_ROUTES held them. */
export async function legacyRoutes(): Promise<unknown[]> {
  const sample = parseYaml(await readFile(legacySample('nas-sync.legacy-routes.yaml'), 'utf8')) as {
    nasSync: { routes: unknown[] };
  };
  return sample.nasSync.routes;
}

/**
 * Writes the earlier version's `.env` at `file`: `lines`, then NAS sync to the local folder `nas` (its
 * audio, video and stems roots under it) with its shipped routes. Returns `file`.
 */
export async function writeLegacyRoutesEnv(file: string, nas: string, lines: string[]): Promise<string> {
  const env = [
    ...lines,
    'NAS_SYNC_METHOD=local',
    `NAS_REMOTE_ROOT_AUDIO=${join(nas, 'audio')}`,
    `NAS_REMOTE_ROOT_VIDEO=${join(nas, 'video')}`,
    `NAS_REMOTE_ROOT_STEMS=${join(nas, 'stems')}`,
    `NAS_SYNC_ROUTES=${JSON.stringify(await legacyRoutes())}`,
    '',
  ];
  await writeFile(file, env.join('\n'));
  return file;
}

/** Every file under a NAS folder, as `<path inside it> <mtime>`, sorted: what a pass must leave as it was. */
export async function nasListing(nas: string): Promise<string[]> {
  const lines = await Promise.all(
    (await readdir(nas, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map(async (e) => {
        const path = join(e.parentPath, e.name);
        return `${relative(nas, path)} ${(await stat(path)).mtimeMs}`;
      }),
  );
  return lines.sort();
}

/** A scratch folder made before the file's tests and removed after them: `scratch.dir`. */
export function scratchFolder(prefix: string): { readonly dir: string } {
  const scratch = { dir: '' };
  beforeAll(async () => {
    scratch.dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(() => rm(scratch.dir, { recursive: true, force: true }));
  return scratch;
}

/** Each written config file, nas-sync.yaml with its folder-shaped legacy routes included, validates against its service's own schema. */
export async function expectValidConfigs(dir: string): Promise<string[]> {
  const files = (await readdir(join(dir, 'config'))).filter((f) => f.endsWith('.yaml'));
  for (const file of files) {
    const name = file.replace(/\.yaml$/, '');
    const text = await readFile(join(dir, 'config', file), 'utf8');
    const schema = name === 'paths' ? PathsConfigSchema : (await loadService(name)).configSchema;
    expect(() => checkServiceConfig({ service: name, schema, root: dir, env: {} }, text), file).not.toThrow();
  }
  return files;
}

/**
 * A root (`<scratch>/root`) set up from the earlier version's settings by `imk migrate`: a local NAS at
 * `<scratch>/nas` with its audio and stems routes, and its sample output pyout_audio_001 in outputs/ (`out`).
 */
export async function migratedLegacyOutput(
  scratch: string,
): Promise<{ dir: string; nas: string; out: string }> {
  const dir = join(scratch, 'root');
  const nas = join(scratch, 'nas');
  const envFile = join(scratch, 'legacy.env');
  await writeFile(
    envFile,
    [
      'NAS_SYNC_METHOD=local',
      `NAS_REMOTE_ROOT_AUDIO=${join(nas, 'audio')}`,
      `NAS_REMOTE_ROOT_STEMS=${join(nas, 'stems')}`,
      `NAS_SYNC_ROUTES='[{"kind":"audio","to":"\${remoteRoots.audio}"},{"kind":"stems","to":"\${remoteRoots.stems}"}]'`,
    ].join('\n'),
  );
  expect((await imkInProcess('migrate', '--env', envFile, '--root', dir)).exitCode).toBe(0);
  const out = join(dir, 'outputs', 'pyout_audio_001');
  await materializeLegacySample('outputs/pyout_audio_001', out);
  return { dir, nas, out };
}
