import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import { IMK } from './imk-bin.ts';

// The earlier version took job_id as any text and wrote outputs/<job_id>/: its producers' ids with spaces
// and non-ASCII letters named folders that every reader here skipped without a word.
describe('an earlier-version library whose folder names are no job ids here', () => {
  let root = '';
  // Spaces around the id were kept in the folder name (" My Song ", "My Song "): such folders were left out.
  // So were a title's backslash (it ran on Linux: "AC\\DC - Song" is one name there) and an id of spaces only.
  const names = ['Café del Mar 01', 'My Song (live)', ' My Song ', 'My Song ', 'AC\\DC - Song', '   '];
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'imk-cli-legacy-names-'));
    for (const name of names) {
      const dir = join(root, 'outputs', name);
      await materializeLegacySample('outputs/pyout_inst_003', dir);
      const file = join(dir, 'manifest.json');
      const doc = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      await writeFile(file, JSON.stringify({ ...doc, job_id: name, title: `${name} title` }));
    }
  }, 120_000);
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('is listed by imk jobs and shown by imk job', async () => {
    const jobs = await execa(process.execPath, [IMK, 'jobs', '--root', root, '--json'], { reject: false });
    expect(jobs.exitCode, jobs.stderr).toBe(0);
    const rows = JSON.parse(jobs.stdout) as { job_id?: string; jobId?: string; state: string }[];
    expect(rows.map((r) => r.job_id ?? r.jobId).sort()).toEqual([...names].sort());
    expect(rows.every((r) => r.state === 'succeeded')).toBe(true);
    const job = await execa(process.execPath, [IMK, 'job', 'Café del Mar 01', '--root', root], {
      reject: false,
    });
    expect(job.exitCode, job.stderr).toBe(0);
    expect(job.stdout).toContain('files/audio/Py Deezer - Only Inst.m4a');
    for (const name of [' My Song ', 'My Song ', 'AC\\DC - Song', '   ']) {
      const padded = await execa(process.execPath, [IMK, 'job', name, '--root', root, '--json'], {
        reject: false,
      });
      expect(padded.exitCode, padded.stderr).toBe(0);
      expect(padded.stdout).toContain(JSON.stringify(`${name} title`));
    }
  }, 120_000);
});
