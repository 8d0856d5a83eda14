import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadServiceConfig } from './load-config.ts';
import { validateConfig } from './validate-config.ts';

const Schema = z.object({
  concurrency: z.number().int().positive().default(2),
  remoteRoots: z.object({ audio: z.string().default('/nas/audio') }).default({ audio: '/nas/audio' }),
  queues: z.array(z.string()).default(['youtube_audio']),
});

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function rootWith(yaml?: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'imk-config-'));
  roots.push(root);
  await mkdir(join(root, 'config'));
  if (yaml !== undefined) await writeFile(join(root, 'config', 'demo-service.yaml'), yaml);
  return root;
}

describe('loadServiceConfig', () => {
  it('uses the embedded defaults when the file is absent', async () => {
    const loaded = await loadServiceConfig({
      service: 'demo-service',
      schema: Schema,
      root: await rootWith(),
      env: {},
    });
    expect(loaded.file).toBeUndefined();
    expect(loaded.config).toEqual({
      concurrency: 2,
      remoteRoots: { audio: '/nas/audio' },
      queues: ['youtube_audio'],
    });
  });

  it('applies env overrides onto nested camelCase keys, parsing JSON values', async () => {
    const root = await rootWith('concurrency: 3\n');
    const loaded = await loadServiceConfig({
      service: 'demo-service',
      schema: Schema,
      root,
      env: { IMK_DEMO_SERVICE__REMOTE_ROOTS__AUDIO: '/mnt/nas', IMK_DEMO_SERVICE__QUEUES: '["other"]' },
    });
    expect(loaded.config.concurrency).toBe(3);
    expect(loaded.config.remoteRoots.audio).toBe('/mnt/nas');
    expect(loaded.config.queues).toEqual(['other']);
  });

  it('names the file, the dotted field, what was found and what was expected', async () => {
    const root = await rootWith('concurrency: lots\nremoteRoots:\n  audio: 5\n');
    const error = await loadServiceConfig({ service: 'demo-service', schema: Schema, root, env: {} }).catch(
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain(join(root, 'config', 'demo-service.yaml'));
    expect(message).toMatch(/concurrency: .*expected number.*found "lots"/i);
    expect(message).toMatch(/remoteRoots\.audio: .*expected string.*found 5/i);
  });

  it('reports YAML syntax errors with the file name', async () => {
    const root = await rootWith('concurrency: [1,\n');
    await expect(
      loadServiceConfig({ service: 'demo-service', schema: Schema, root, env: {} }),
    ).rejects.toThrow(/demo-service\.yaml is not valid YAML/);
  });

  // `- - - …` past the composer's stack: "not valid YAML: Maximum call stack size exceeded" before, and a
  // process that read a few such files died of it (see yamlDepth).
  it('refuses a file nested past 64 levels, in any YAML style, naming it', async () => {
    for (const yaml of [
      `queues:\n  ${'- '.repeat(30_000)}x\n`,
      `queues: ${'['.repeat(30_000)}${']'.repeat(30_000)}\n`,
    ]) {
      const root = await rootWith(yaml);
      await expect(
        loadServiceConfig({ service: 'demo-service', schema: Schema, root, env: {} }),
      ).rejects.toThrow(/demo-service\.yaml nests more than 64 levels deep/);
    }
  });

  it('reports a misspelt setting with the one it most likely meant, instead of ignoring it', async () => {
    const root = await rootWith('concurency: 3\nremoteRoots:\n  Audio: /mnt/nas\n  vidoe: /mnt/video\n');
    const error = await loadServiceConfig({ service: 'demo-service', schema: Schema, root, env: {} }).catch(
      (e: unknown) => e as Error,
    );
    const message = (error as Error).message;
    expect(message).toContain(join(root, 'config', 'demo-service.yaml'));
    expect(message).toContain(
      'concurency: unknown setting "concurency"; did you mean "concurrency"? (found 3)',
    );
    expect(message).toContain('remoteRoots.Audio: unknown setting "Audio"; did you mean "audio"?');
    expect(message).toContain('remoteRoots.vidoe: unknown setting "vidoe" (known here: audio)');
  });

  it('names the environment variable that set an unknown setting', async () => {
    const error = await loadServiceConfig({
      service: 'demo-service',
      schema: Schema,
      root: await rootWith(),
      env: { IMK_DEMO_SERVICE__REMOTE_ROOTS__AUDO: '/mnt/nas' },
    }).catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(
      /remoteRoots\.audo: unknown setting "audo"; did you mean "audio"\? \(found "\/mnt\/nas", set by IMK_DEMO_SERVICE__REMOTE_ROOTS__AUDO\)/,
    );
  });
});

describe('validateConfig and unknown keys', () => {
  const Backend = z.discriminatedUnion('type', [
    z.object({ type: z.literal('local'), path: z.string() }),
    z.object({ type: z.literal('s3'), bucket: z.string() }),
  ]);
  const Wide = z.object({
    params: z.record(z.string(), z.unknown()).default({}),
    extra: z.looseObject({ name: z.string().optional() }).optional(),
    backends: z.record(z.string(), Backend).default({}),
    loudness: z.object({ targetLufs: z.number().default(-14) }).default({ targetLufs: -14 }),
  });

  it('accepts any key in records and loose objects', () => {
    const result = validateConfig(Wide, { params: { anything: 1 }, extra: { name: 'x', more: true } });
    expect(result.ok).toBe(true);
  });

  it('judges the keys of a tagged union by its tag, and maps snake_case to the camelCase key', () => {
    const result = validateConfig(Wide, {
      backends: { nas: { type: 's3', bucket: 'b', path: '/x' }, disk: { type: 'local', path: '/y' } },
      loudness: { target_lufs: -16 },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'backends.nas.path: unknown setting "path" (known here: type, bucket)',
      'loudness.target_lufs: unknown setting "target_lufs"; did you mean "targetLufs"?',
    ]);
  });

  it('reports an unknown key of a strict object once, with a suggestion', () => {
    const result = validateConfig(z.strictObject({ enabled: z.boolean() }), {
      enabled: true,
      enabeld: false,
    });
    expect(result.ok ? [] : result.problems.map((p) => p.message)).toEqual([
      'unknown setting "enabeld"; did you mean "enabled"?',
    ]);
  });
});
