import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import { imk, scratchFolder } from './migrate-kit.ts';

// An earlier version's output folder renamed by hand (outputs/pyout_audio_001 -> outputs/my_copy): the
// folder is the job's address (links, receipts, the ledger), so it is the job my_copy; its manifest.json
// still says job_id pyout_audio_001, which `imk job` and `imk ledger rebuild` now say, naming the file.
const scratch = scratchFolder('imk-legacy-renamed-output-');

describe("an earlier version's output folder renamed by hand", () => {
  it('is the job of its folder, and imk job and imk ledger rebuild say its manifest names another', async () => {
    const root = join(scratch.dir, 'root');
    await mkdir(join(root, 'config'), { recursive: true });
    await writeFile(join(root, 'config', 'operations.yaml'), 'diskGuard: { enabled: false }\n');
    await materializeLegacySample('outputs/pyout_audio_001', join(root, 'outputs', 'my_copy'));
    const manifest = join(root, 'outputs', 'my_copy', 'manifest.json');
    const line = `${manifest}: job_id is "pyout_audio_001", not the name of its folder, outputs/my_copy/`;

    const rebuilt = await imk(['ledger', 'rebuild', '--root', root]);
    expect(rebuilt.exitCode, String(rebuilt.all)).toBe(0);
    expect(String(rebuilt.all)).toContain(line);

    const job = await imk(['job', 'my_copy', '--root', root]);
    expect(job.exitCode, String(job.all)).toBe(0);
    expect(String(job.stdout)).toContain('job my_copy: succeeded');
    expect(String(job.stdout)).toContain(`  problem: ${line}`);
    expect(String(job.stdout)).toContain('it is listed, linked and synced as my_copy, its folder');
    const json = JSON.parse(String((await imk(['job', 'my_copy', '--json', '--root', root])).stdout)) as {
      id_mismatch?: string;
    };
    expect(json.id_mismatch).toContain(line);
    // Not the job of its manifest's id.
    expect((await imk(['job', 'pyout_audio_001', '--root', root])).exitCode).not.toBe(0);
  });
});
