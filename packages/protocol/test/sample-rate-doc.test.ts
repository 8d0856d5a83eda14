import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// A user setting up a 96 kHz library reads options.sample_rate in docs/protocol.md (generated from the
// schema): it must say what happens when it is unset, since the input's rate is not kept.
describe('options.sample_rate in docs/protocol.md', () => {
  it('says the default: 44.1 kHz, not the input rate', async () => {
    const doc = await readFile(join(import.meta.dirname, '../../../docs/protocol.md'), 'utf8');
    const rows = doc.split('\n').filter((line) => line.startsWith('| `options.sample_rate`'));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row).toMatch(/44\.1 kHz/);
      expect(row).toMatch(/input's rate is not kept/);
      expect(row).toMatch(/8000 to 192000/);
    }
  });
});
