import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgram } from '../main.ts';

const roots: string[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function imk(...args: string[]): Promise<string> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  await createProgram().parseAsync(['node', 'imk', ...args]);
  vi.restoreAllMocks();
  return out;
}

describe('imk cleanup', () => {
  it('--dry-run lists what would go and why; without it, it goes', async () => {
    const root = await mkdtemp(join(tmpdir(), 'imk-cleanup-cli-'));
    roots.push(root);
    // Two cached stem sets of 2 KB each, and a cache limit of 3 KB: the older one has to go.
    for (const key of ['older', 'newer']) {
      await mkdir(join(root, 'state', 'cache', 'stems', key), { recursive: true });
      await writeFile(join(root, 'state', 'cache', 'stems', key, 'vocals.wav'), Buffer.alloc(2048));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await mkdir(join(root, 'config'));
    await writeFile(
      join(root, 'config', 'operations.yaml'),
      'retention:\n  caches:\n    maxTotalMb: 0.003\n',
    );
    const stems = join(root, 'state', 'cache', 'stems');

    const dry = await imk('cleanup', '--dry-run', '--root', root);
    expect(dry).toMatch(
      /would remove caches +2 KiB {2}.*stems\/older {2}\(over the size limit, oldest first/,
    );
    expect(dry).toMatch(/dry run: would free 2 KiB in 1 entries/);
    expect((await readdir(stems)).sort()).toEqual(['newer', 'older']);

    const real = await imk('cleanup', '--root', root);
    expect(real).toMatch(/removed caches +2 KiB {2}.*stems\/older/);
    expect(await readdir(stems)).toEqual(['newer']);
  });

  it("prunes a stem cache moved by the worker's stemCache.dir, under the same limits", async () => {
    const root = await mkdtemp(join(tmpdir(), 'imk-cleanup-cli-'));
    roots.push(root);
    const stems = join(root, 'big-disk', 'stems');
    // Entries named as the worker names them (the sha256 of what was separated): in a folder of the user's
    // choosing, cleanup takes only those, never the user's own files beside them.
    const older = 'a'.repeat(64);
    const newer = 'b'.repeat(64);
    for (const key of [older, newer]) {
      await mkdir(join(stems, key), { recursive: true });
      await writeFile(join(stems, key, 'vocals.wav'), Buffer.alloc(2048));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await mkdir(join(root, 'config'));
    await writeFile(
      join(root, 'config', 'operations.yaml'),
      'retention:\n  caches:\n    maxTotalMb: 0.003\n',
    );
    await writeFile(join(root, 'config', 'instrumental-maker.yaml'), 'stemCache:\n  dir: big-disk/stems\n');

    await writeFile(join(stems, 'notes.txt'), Buffer.alloc(4096));

    const real = await imk('cleanup', '--root', root);
    expect(real).toMatch(new RegExp(`removed caches +2 KiB {2}.*big-disk/stems/${older}`));
    expect((await readdir(stems)).sort()).toEqual([newer, 'notes.txt']);
  });
});
