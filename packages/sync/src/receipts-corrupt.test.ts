import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReceiptStore } from './receipts.ts';

describe('corrupt sync receipts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'imk-receipts-corrupt-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('are named when read, and moved aside (kept) for a new, empty store when written', async () => {
    const file = join(dir, 'receipts.sqlite');
    const garbage = randomBytes(8192);
    await writeFile(file, garbage);
    expect(() => ReceiptStore.open({ file, readonly: true })).toThrow(
      new RegExp(`the sync receipts ${file.replace(/[.]/g, '\\.')} are corrupt`),
    );
    let movedTo: string | undefined;
    const store = ReceiptStore.open({ file, onMovedAside: (to) => (movedTo = to) })!;
    // Empty: every delivery is checked at its destination again.
    expect(store.all().size).toBe(0);
    store.close();
    expect(movedTo).toMatch(/receipts\.sqlite\.corrupt-/);
    expect(await readFile(movedTo!)).toEqual(garbage);
    expect((await readdir(dir)).filter((n) => n.includes('.corrupt-'))).toHaveLength(1);
  });
});
