import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imk, migratedLegacyOutput, scratchFolder } from './migrate-kit.ts';

// A user moving over has run the earlier version's NAS sync program on its outputs for months: its
// LocalBackend copied each artifact to <to>/<its file name>. nas-sync then meets those copies: the same
// content is taken as delivered and never copied again, and the pass says so ("already delivered"), instead
// of "7 delivered", which read as every file sent (over) again.
const scratch = scratchFolder('imk-legacy-already-');

describe("outputs the earlier version's own NAS sync program already delivered", () => {
  it('are taken as delivered, never copied again nor numbered, and the pass says so', async () => {
    const { dir, nas, out } = await migratedLegacyOutput(scratch.dir);
    // What its sync program did with these routes (audio -> ${remoteRoots.audio}, stems -> ${remoteRoots.stems}):
    // shutil.copy2(file, <to>/<file name>).
    const files = (await readdir(join(out, 'files'), { recursive: true, withFileTypes: true })).filter((e) =>
      e.isFile(),
    );
    for (const entry of files) {
      const kind = basename(entry.parentPath);
      await mkdir(join(nas, kind), { recursive: true });
      await copyFile(join(entry.parentPath, entry.name), join(nas, kind, entry.name));
    }
    const listing = async () =>
      Promise.all(
        (await readdir(nas, { recursive: true, withFileTypes: true }))
          .filter((e) => e.isFile())
          .map(async (e) => {
            const path = join(e.parentPath, e.name);
            return `${relative(nas, path)} ${(await stat(path)).mtimeMs}`;
          }),
      ).then((lines) => lines.sort());
    const before = await listing();
    expect(before).toHaveLength(7);

    const once = await imk(['sync', '--once', '--root', dir]);
    expect(once.exitCode, String(once.all)).toBe(0);
    expect(String(once.stdout)).toContain(
      'nas-sync: 0 delivered, 7 already delivered (7 found there with the same content, not copied again)',
    );
    expect(await listing()).toEqual(before);
  }, 120_000);
});
