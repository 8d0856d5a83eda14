import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadServiceConfig } from './load-config.ts';

const Schema = z.object({
  concurrency: z.number().int().positive().default(2),
  remoteRoots: z.object({ audio: z.string().default('/nas/audio') }).default({ audio: '/nas/audio' }),
  queues: z.array(z.string()).default(['youtube_audio']),
});

async function rootWith(yaml?: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'imk-config-'));
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
});
