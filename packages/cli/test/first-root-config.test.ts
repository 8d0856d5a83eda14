import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareRoot } from '../src/state-writable.ts';

const REPO_EXAMPLE = fileURLToPath(new URL('../../../config/nas-sync.example.yaml', import.meta.url));
const quiet = { warn: () => undefined };
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a first imk up / imk run on a new root (prepareRoot)', () => {
  it('leaves config/ with the example the README points at, so settings can be added without a mkdir', async () => {
    dir = await mkdtemp(join(tmpdir(), 'imk-first-'));
    const root = join(dir, 'imk');
    await prepareRoot(root, quiet);
    expect(await readFile(join(root, 'config', 'nas-sync.example.yaml'), 'utf8')).toBe(
      await readFile(REPO_EXAMPLE, 'utf8'),
    );
  });

  it('never replaces what the user has in config/', async () => {
    dir = await mkdtemp(join(tmpdir(), 'imk-first-'));
    await mkdir(join(dir, 'config'));
    await writeFile(join(dir, 'config', 'nas-sync.example.yaml'), '# mine\n');
    await writeFile(join(dir, 'config', 'nas-sync.yaml'), 'nasSync: { enabled: false }\n');
    await prepareRoot(dir, quiet);
    expect(await readFile(join(dir, 'config', 'nas-sync.example.yaml'), 'utf8')).toBe('# mine\n');
    expect(await readFile(join(dir, 'config', 'nas-sync.yaml'), 'utf8')).toBe(
      'nasSync: { enabled: false }\n',
    );
  });
});
