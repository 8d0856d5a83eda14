import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import { imk, scratchFolder } from './migrate-kit.ts';

// The earlier version wrote a job's outputs under its job.json's job_id (app/simple_runner.py:
// `Path(cfg.OUTPUTS_DIR) / bundle.job_id`, bundle.job_id = data.get("job_id")), whatever its folder was named.
// Its producers always named the folder job_<job_id>; one renamed by hand is not made under either name here:
// it is kept in rejected/ with both named, and nothing is written to outputs/ (docs/migration.md).
const scratch = scratchFolder('imk-legacy-job-id-folder-');

describe("a bundle of the earlier version whose folder is not job_<its job.json's job_id>", () => {
  it('is rejected naming both, and no outputs folder is written under either', async () => {
    const dir = join(scratch.dir, 'root');
    await mkdir(join(dir, 'config'), { recursive: true });
    await writeFile(join(dir, 'config', 'operations.yaml'), 'diskGuard: { enabled: false }\n');
    await materializeLegacySample(
      'bundles/job_leg_wav_001',
      join(dir, 'queues', 'other', 'job_renamed_by_hand'),
    );
    const run = await imk(['run', 'instrumental-maker', '--once', '--root', dir]);
    // A pass that rejected a bundle is not ok (exit code 1), as for any bundle rejected.
    expect(run.exitCode, String(run.all)).toBe(1);
    expect(JSON.parse(String(run.stdout))).toMatchObject({ ok: false, succeeded: 0, rejected: 1 });
    const rejection = JSON.parse(
      await readFile(
        join(dir, 'queues', 'other', 'rejected', 'job_renamed_by_hand', 'imk-rejection.json'),
        'utf8',
      ),
    ) as { reason: string };
    expect(rejection.reason).toContain('job.json says "leg_wav_001" but the folder is job_renamed_by_hand');
    expect(await readdir(join(dir, 'outputs')).catch(() => [])).toEqual([]);
  }, 120_000);
});
