import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
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

  // Damaged pages behind a whole first page: the file opened, and every pass then failed on its first query
  // with "database disk image is malformed", naming no file, never moved aside, syncing nothing again.
  it('with damaged pages behind a whole header are found when opened, named, and moved aside', async () => {
    const file = join(dir, 'damaged.sqlite');
    const made = ReceiptStore.open({ file })!;
    for (let i = 0; i < 3000; i++)
      made.saveLocalHash(`/outputs/job_${i}/${'x'.repeat(100)}`, i, i, 'a'.repeat(64));
    made.close();
    const handle = await open(file, 'r+');
    const middle = Math.floor((await stat(file)).size / 2 / 4096) * 4096;
    await handle.write(Buffer.alloc(8192, 0x41), 0, 8192, middle);
    await handle.write(Buffer.alloc(4096, 0x42), 0, 4096, 4096);
    await handle.close();
    expect(() => ReceiptStore.open({ file, readonly: true })).toThrow(
      new RegExp(`the sync receipts ${file.replace(/[.]/g, '\\.')} are corrupt`),
    );
    let movedTo: string | undefined;
    const store = ReceiptStore.open({ file, onMovedAside: (to) => (movedTo = to) })!;
    expect(store.all().size).toBe(0);
    store.close();
    expect(movedTo).toMatch(/damaged\.sqlite\.corrupt-/);
  });
});
