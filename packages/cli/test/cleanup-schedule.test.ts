// The web service runs "the same cleanup" as `imk cleanup` on its schedule (docs/operations.md): that
// includes the stem cache wherever the worker's stemCache.dir moved it. It used to prune only state/.
import { access, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

let root = '';
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-cleanup-schedule-'));
  await mkdir(join(root, 'config'), { recursive: true });
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function put(path: string, text = 'x'): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

describe('the scheduled cleanup of the web service', () => {
  it('prunes the stem cache in the folder stemCache.dir names, as imk cleanup does', async () => {
    await writeFile(join(root, 'config', 'web.yaml'), 'port: 0\n');
    await writeFile(join(root, 'config', 'instrumental-maker.yaml'), 'stemCache:\n  dir: big-disk/stems\n');
    // A run every 1.2 s; cache entries older than ~0.9 s are past their limit.
    await writeFile(
      join(root, 'config', 'operations.yaml'),
      'retention:\n  intervalMinutes: 0.02\n  caches: { maxAgeDays: 0.00001 }\n',
    );
    const stems = join(root, 'big-disk', 'stems');
    const key = 'a'.repeat(64);
    await put(join(stems, key, 'meta.json'), '{}');
    await put(join(stems, 'my own notes.txt'), 'mine');
    await put(join(root, 'state', 'cache', 'previews', 'p1.png'), 'png');

    const web = execa(process.execPath, [IMK, 'run', 'web', '--root', root, '--log-format', 'json'], {
      reject: false,
    });
    try {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && (await exists(join(stems, key)))) await sleep(250);
      // The default cache folder is pruned either way; the moved stem cache must be too.
      expect(await exists(join(root, 'state', 'cache', 'previews', 'p1.png'))).toBe(false);
      expect(await readdir(stems)).toEqual(['my own notes.txt']);
    } finally {
      web.kill('SIGTERM');
    }
    const result = await web;
    expect(result.exitCode).toBe(0);
    expect(`${result.stdout}${result.stderr}`).toContain(`cleanup: removed caches ${join(stems, key)}`);
  });
});
