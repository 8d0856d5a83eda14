import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOutput, listOutputs, partialDirName } from '../src/index.ts';

// findOutput is listOutputs for one job id: a reader that asks about one job (the dashboard's engine
// column) sees the same finished outputs as one that lists them all (nas-sync, the ledger).
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-find-output-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('findOutput', () => {
  it('finds exactly the folders listOutputs lists', async () => {
    const outputs = join(root, 'outputs');
    const elsewhere = join(root, 'elsewhere');
    const manifest = '{"schema_version":1}';
    await mkdir(join(outputs, 'done_1'), { recursive: true });
    await writeFile(join(outputs, 'done_1', 'manifest.json'), manifest);
    await mkdir(join(outputs, 'unfinished_2'));
    await mkdir(join(outputs, partialDirName('done_3', 'host-1')));
    await writeFile(join(outputs, partialDirName('done_3', 'host-1'), 'manifest.json'), manifest);
    await mkdir(elsewhere);
    await writeFile(join(elsewhere, 'manifest.json'), manifest);
    await symlink(elsewhere, join(outputs, 'linked_4'));
    await mkdir(join(outputs, 'link_manifest_5'));
    await symlink(join(elsewhere, 'manifest.json'), join(outputs, 'link_manifest_5', 'manifest.json'));

    const listed = await listOutputs(outputs);
    expect(listed.map((f) => f.jobId)).toEqual(['done_1']);
    const names = [
      'done_1',
      'unfinished_2',
      partialDirName('done_3', 'host-1'),
      'linked_4',
      'link_manifest_5',
    ];
    const found = await Promise.all(names.map((name) => findOutput(outputs, name)));
    expect(found).toEqual([listed[0], undefined, undefined, undefined, undefined]);
    expect(await findOutput(join(root, 'missing'), 'done_1')).toBeUndefined();
    expect(await findOutput(outputs, '../outputs/done_1')).toBeUndefined();
  });
});
