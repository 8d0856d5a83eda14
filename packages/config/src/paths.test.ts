import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolvePaths } from './paths.ts';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function rootWith(pathsYaml?: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'imk-paths-'));
  roots.push(root);
  await mkdir(join(root, 'config'));
  if (pathsYaml !== undefined) await writeFile(join(root, 'config', 'paths.yaml'), pathsYaml);
  return root;
}

describe('resolvePaths', () => {
  it('puts everything under the root by default', async () => {
    const root = await rootWith();
    expect(resolvePaths(root, {})).toEqual({
      root,
      queues: join(root, 'queues'),
      outputs: join(root, 'outputs'),
      config: join(root, 'config'),
      state: join(root, 'state'),
      ledger: join(root, 'state', 'ledger.sqlite'),
      receipts: join(root, 'state', 'nas-sync.sqlite'),
      cache: join(root, 'state', 'cache'),
      tmp: join(root, 'state', 'tmp'),
      stemCache: join(root, 'state', 'cache', 'stems'),
      migrate: join(root, 'state', 'migrate'),
      placed: {},
    });
  });

  it('keeps an existing layout in place: config/paths.yaml moves queues/ and outputs/, not state/', async () => {
    const root = await rootWith('queues: /queues\noutputs: /data/outputs\n');
    const paths = resolvePaths(root, {});
    expect(paths.queues).toBe('/queues');
    expect(paths.outputs).toBe('/data/outputs');
    expect(paths.state).toBe(join(root, 'state'));
    expect(paths.placed).toEqual({ queues: true, outputs: true });
  });

  it('reads a relative location against the root, and env overrides win over the file', async () => {
    const root = await rootWith('queues: shared/queues\n');
    expect(resolvePaths(root, {}).queues).toBe(join(root, 'shared', 'queues'));
    expect(resolvePaths(root, { IMK_PATHS__QUEUES: '/mnt/nas/queues' }).queues).toBe('/mnt/nas/queues');
    expect(resolvePaths(root, { IMK_PATHS__OUTPUTS: '/mnt/nas/outputs' }).outputs).toBe('/mnt/nas/outputs');
  });

  it('names the file and the setting it does not know', async () => {
    const root = await rootWith('queue: /queues\n');
    expect(() => resolvePaths(root, {})).toThrow(
      /paths\.yaml[\s\S]*queue: unknown setting "queue"; did you mean "queues"\?/,
    );
  });
});
