import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imkInProcess } from './in-process.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-migrate-minio-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function migrate(name: string, lines: string[]): Promise<{ stdout: string; nasSync: string }> {
  const dir = join(root, name);
  const envFile = join(root, `${name}.env`);
  await writeFile(envFile, `${lines.join('\n')}\n`);
  const result = await imkInProcess('migrate', '--env', envFile, '--root', dir);
  expect(result.exitCode, result.stdout).toBe(0);
  const nasSync = await readFile(join(dir, 'config', 'nas-sync.yaml'), 'utf8').catch(() => '');
  return { stdout: result.stdout, nasSync };
}

describe('imk migrate with the MinIO keys of the earlier version', () => {
  it('says a key is read by backends.minio only when that backend is written', async () => {
    // MINIO_ACCESS_KEY/MINIO_SECRET_KEY were "covered by config/nas-sync.yaml: backends.minio reads it from
    // the environment" whatever MINIO_MIRROR_ENABLED was: with the mirror off, no such backend was written.
    const off = await migrate('mirror-off', [
      'NAS_REMOTE_ROOT_AUDIO=/mnt/nas/audio',
      'MINIO_MIRROR_ENABLED=false',
      'MINIO_BUCKET=songs',
      'MINIO_ACCESS_KEY=AKIAEXAMPLE',
      'MINIO_SECRET_KEY=s3cr3t-value',
    ]);
    expect(off.nasSync).not.toContain('minio');
    expect(off.stdout).not.toContain('backends.minio reads it');
    expect(off.stdout).toContain('MINIO_SECRET_KEY: not used; no minio backend is written');
    expect(off.stdout).toContain('MINIO_ACCESS_KEY: not used; no minio backend is written');
    expect(off.stdout).not.toContain('s3cr3t');

    const on = await migrate('mirror-on', [
      'NAS_REMOTE_ROOT_AUDIO=/mnt/nas/audio',
      'MINIO_MIRROR_ENABLED=true',
      'MINIO_BUCKET=songs',
      'MINIO_ACCESS_KEY=AKIAEXAMPLE',
      'MINIO_SECRET_KEY=s3cr3t-value',
    ]);
    expect(on.nasSync).toContain('minio:');
    expect(on.nasSync).toContain('env: MINIO_SECRET_KEY');
    expect(on.stdout).toMatch(
      /covered by config\/nas-sync\.yaml: backends\.minio .*reads it from the environment/,
    );
    expect(on.stdout).not.toContain('s3cr3t');
  }, 60_000);
});
