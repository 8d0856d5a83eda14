import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backUpConfig } from '../actions/migrate-record.ts';
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

  // imk migrate keeps a copy of each config file it replaces in state/migrate/ (<file>.<time>), and no
  // cleanup ever pruned them: a migrate run again and again filled the folder for good. They are archives
  // now, pruned by the archives age limit, and the newest copy of each file always stays, as do the record
  // (written.json) and whatever else is there.
  it("prunes imk migrate's old copies of config files by the archives age, keeping each file's newest", async () => {
    const root = await mkdtemp(join(tmpdir(), 'imk-cleanup-cli-'));
    roots.push(root);
    await mkdir(join(root, 'config'));
    const config = (name: string) => join(root, 'config', name);
    await writeFile(config('instrumental-maker.yaml'), 'engine: { name: builtin }\n');
    await writeFile(config('nas-sync.yaml'), 'routes: []\n');
    const migrate = join(root, 'state', 'migrate');
    const at = (day: number) => new Date(Date.UTC(2026, 10, day, 12, 0, 0));
    const copy = async (file: string, when: Date) =>
      (await backUpConfig(migrate, config(file), 'old\n', when)).slice(migrate.length + 1);
    const first = await copy('instrumental-maker.yaml', at(1));
    const second = await copy('instrumental-maker.yaml', at(2));
    const sameTime = await copy('instrumental-maker.yaml', at(3));
    const newest = await copy('instrumental-maker.yaml', at(3)); // made in the same millisecond: -2
    const onlySync = await copy('nas-sync.yaml', at(1));
    await writeFile(join(migrate, 'written.json'), '{}');
    await writeFile(join(migrate, 'notes.txt'), 'mine');
    expect(newest).toBe(`${sameTime}-2`);
    // Everything there is older than the limit (a second) when cleanup runs.
    await writeFile(
      join(root, 'config', 'operations.yaml'),
      `retention:\n  archives:\n    maxAgeDays: ${1 / 86_400}\n`,
    );
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const gone = [first, second, sameTime];

    const dry = await imk('cleanup', '--dry-run', '--root', root);
    for (const name of gone)
      expect(dry).toMatch(
        new RegExp(
          `would remove archives .*state/migrate/${name.replaceAll('.', '\\.')} {2}\\(older than the limit`,
        ),
      );
    expect(dry).toMatch(/dry run: would free \d+ B in 3 entries/);
    for (const kept of [newest, onlySync, 'written.json', 'notes.txt']) expect(dry).not.toContain(kept + ' ');
    const all = [...gone, newest, onlySync, 'written.json', 'notes.txt'].sort();
    expect((await readdir(migrate)).sort()).toEqual(all);

    await imk('cleanup', '--root', root);
    expect((await readdir(migrate)).sort()).toEqual([newest, onlySync, 'notes.txt', 'written.json'].sort());
  });

  it('does the rest of the cleanup when the nas-sync config does not load, and says what it did not look at', async () => {
    const root = await mkdtemp(join(tmpdir(), 'imk-cleanup-cli-'));
    roots.push(root);
    await mkdir(join(root, 'state', 'cache', 'stems', 'older'), { recursive: true });
    await writeFile(join(root, 'state', 'cache', 'stems', 'older', 'vocals.wav'), Buffer.alloc(2048));
    await mkdir(join(root, 'config'));
    await writeFile(
      join(root, 'config', 'operations.yaml'),
      'retention:\n  caches:\n    maxTotalMb: 0.001\n',
    );
    await writeFile(join(root, 'config', 'nas-sync.yaml'), 'routes: []\n');
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err += chunk.toString();
      return true;
    });
    const out = await imk('cleanup', '--root', root);
    expect(out).toMatch(/removed caches .*older/);
    expect(await readdir(join(root, 'state', 'cache', 'stems'))).toEqual([]);
    expect(err).toMatch(/rsync transfers .* were not looked for: .*nas-sync\.yaml/);
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
