import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LEGACY_KEYS, type LegacyKey } from '@imk/config';

// docs/migration.md lists every variable of the earlier version with what `imk migrate` does with it. The
// table is the one table of the code (@imk/config LEGACY_KEYS) in words: a row per variable, in its order,
// saying what the code says. A variable added, or a reason changed, without the page is a drift a user
// moving over reads as a promise.
const PAGE = join(import.meta.dirname, '..', '..', '..', 'docs', 'migration.md');

function expectedCells(entry: LegacyKey): string[] {
  const what = entry.convert
    ? entry.identical
      ? 'converts it; also honoured at start-up (same meaning)'
      : 'converts it, with a comment'
    : entry.ours !== undefined
      ? 'written with the variable named in _Ours_'
      : `no equivalent: ${entry.none ?? ''}`;
  return [`\`${entry.key}\``, entry.ours ?? '—', what];
}

describe('docs/migration.md, every setting of the earlier version', () => {
  it('has one row per variable of the code’s table, saying what the code says', async () => {
    const page = await readFile(PAGE, 'utf8');
    const section = page.slice(page.indexOf('## Every setting of the earlier version'));
    const rows = section
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) =>
        line
          .slice(1, -1)
          .split(/(?<!\\)\|/)
          .map((cell) => cell.trim().replace(/\\\|/g, '|')),
      );
    expect(rows).toEqual(LEGACY_KEYS.map(expectedCells));
  });
});
