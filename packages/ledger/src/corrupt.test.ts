import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { publishBundle } from '@imk/fsqueue';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ledgerFile, openLedger, openLedgerRecovering } from './index.ts';
import { IMK } from '../../cli/test/imk-bin.ts';

let root: string;
let garbage: Buffer;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-corrupt-'));
  await publishBundle({
    queueDir: join(root, 'queues', 'other'),
    job: { job_id: 'waiting', source_type: 'local', title: 'Waiting', audio_path: 'a.m4a' },
    files: [{ name: 'a.m4a', data: 'sound' }],
  });
  await mkdir(join(root, 'state'), { recursive: true });
  garbage = randomBytes(8192);
  await writeFile(ledgerFile(root), garbage);
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function corruptCopies(): Promise<string[]> {
  return (await readdir(join(root, 'state'))).filter((name) => /^ledger\.sqlite\.corrupt-/.test(name));
}

describe('a corrupt ledger', () => {
  it('is named in the error of a plain open, with the fix', () => {
    expect(() => openLedger({ root })).toThrow(
      new RegExp(`the job ledger ${ledgerFile(root).replace(/[.]/g, '\\.')} is corrupt .*imk ledger rebuild`),
    );
  });

  it('is moved aside, kept whole, and rebuilt from the folders when a worker opens it', async () => {
    const ledger = await openLedgerRecovering({ root });
    try {
      expect(ledger.getJob('waiting')?.job.state).toBe('ready');
    } finally {
      ledger.close();
    }
    const [copy] = await corruptCopies();
    expect(copy).toBeDefined();
    expect(await readFile(join(root, 'state', copy!))).toEqual(garbage);
  });

  it('is repaired by `imk ledger rebuild`, which says where the old file went', async () => {
    const result = await execa(IMK, ['ledger', 'rebuild', '--root', root], { reject: false, all: true });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toMatch(/the ledger was corrupt: kept as .*ledger\.sqlite\.corrupt-/);
    expect(result.stdout).toMatch(/1 jobs/);
    expect(await corruptCopies()).toHaveLength(1);
  });
});

// A ledger whose first page is whole and whose others are damaged (a disk error, a copy cut short) opened
// without a word: a worker carried on with it, and its listings and writes failed with "database disk image
// is malformed", naming no file, until someone ran `imk ledger rebuild` by hand.
describe('a ledger damaged behind a whole first page', () => {
  beforeEach(async () => {
    await rm(ledgerFile(root));
    const ledger = openLedger({ root });
    for (let i = 0; i < 3000; i++)
      ledger.upsertJob(`job_${i}`, { queue: 'other', title: `Song number ${i} ${'x'.repeat(80)}` });
    ledger.close();
    const handle = await open(ledgerFile(root), 'r+');
    const middle = Math.floor((await stat(ledgerFile(root))).size / 2 / 4096) * 4096;
    await handle.write(Buffer.alloc(8192, 0x41), 0, 8192, middle);
    await handle.write(Buffer.alloc(4096, 0x42), 0, 4096, 4096);
    await handle.close();
  });

  it('is named in the error of a plain open, with the fix', () => {
    expect(() => openLedger({ root })).toThrow(/is corrupt .*imk ledger rebuild/);
  });

  it('is moved aside and rebuilt from the folders when a worker opens it', async () => {
    const ledger = await openLedgerRecovering({ root });
    try {
      expect(ledger.listJobs().map((job) => job.job_id)).toEqual(['waiting']);
    } finally {
      ledger.close();
    }
    expect(await corruptCopies()).toHaveLength(1);
  });
});
