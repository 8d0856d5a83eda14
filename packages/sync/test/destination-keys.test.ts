import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { destinationKey } from '../src/index.ts';

// A destination path is one key everywhere: the plan's index of held paths, the pass's set of claimed
// paths, the pass's one-transfer-at-a-time-per-path chains, the held paths the engine hands the pass, and
// nas-sync's status. Each spelt it `${backend}\u0000${path}` by hand (run-transfers twice, under two names);
// one that drifted would let two copies race onto one path or a renamed copy take a held one.
const REPO = join(import.meta.dirname, '..', '..', '..');

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(join(REPO, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('destination keys', () => {
  it('are made by destinationKey alone (sync and nas-sync)', async () => {
    const found: string[] = [];
    for (const file of [...(await files('packages/sync/src')), ...(await files('services/nas-sync/src'))]) {
      const path = relative(REPO, file);
      if (path === 'packages/sync/src/conflicts.ts') continue;
      for (const match of (await readFile(file, 'utf8')).matchAll(
        /`\$\{[^}`]*backend[^}`]*\}\\u0000[^`]*`/gi,
      ))
        found.push(`${path}: ${match[0]}`);
    }
    expect(found).toEqual([]);
    expect(destinationKey('nas', 'a/b.m4a')).not.toBe(destinationKey('nas/a', 'b.m4a'));
  });
});
