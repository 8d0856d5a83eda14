import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { writeJob } from '@imk/sync/testing';
import { imkInProcess } from '../../../packages/cli/test/in-process.ts';
import type { SyncStatus } from '../src/index.ts';
import { localConfig, tempRoot, writeConfig } from './helpers.ts';
import { IMK } from '../../../packages/cli/test/imk-bin.ts';

let t: Awaited<ReturnType<typeof tempRoot>>;
beforeEach(async () => {
  t = await tempRoot();
});
afterEach(async () => {
  await t.remove();
});

const imk = (...args: string[]) =>
  execa('node', [IMK, ...args, '--root', t.root], { reject: false, env: { IMK_LOG_LEVEL: 'error' } });

/** The same command line through the CLI's main() in this process (see imkInProcess). */
const imkHere = (...args: string[]) => imkInProcess(...args, '--root', t.root);

it('imk sync: dry run, one pass, status, and retry after fixing a damaged artifact', async () => {
  await writeConfig(t.root, localConfig(t.nas));
  await writeJob(t.outputs, { jobId: 'good', artifacts: [{ path: 'files/audio/a.m4a' }] });
  const damaged = await writeJob(t.outputs, { jobId: 'damaged', artifacts: [{ path: 'files/audio/a.m4a' }] });
  const damagedFile = join(t.outputs, 'damaged', 'files', 'audio', 'a.m4a');
  await writeFile(damagedFile, Buffer.alloc(1000, 7));

  const dry = await imk('sync', '--dry-run');
  expect(dry.exitCode).toBe(0);
  expect(dry.stdout).toContain(
    `would send good/files/audio/a.m4a -> nas:${t.nas}/Music/Artist/Title good (instrumental).m4a`,
  );
  expect(dry.stdout).toMatch(/dry run: 2 to send/);
  expect(existsSync(t.nas)).toBe(false);

  const once = await imk('sync', '--once');
  expect(once.exitCode).toBe(2);
  expect(once.stdout).toMatch(/failed damaged\/files\/audio\/a\.m4a -> nas: \[LOCAL_MISMATCH\]/);
  expect(once.stdout).toMatch(
    /nas-sync: 1 delivered, 0 already delivered, 1 failed \(1 for good, 0 will be retried\), 0 waiting to retry, 0 unrouted/,
  );

  const status = JSON.parse((await imkHere('sync', 'status', '--json')).stdout) as SyncStatus;
  expect(status.totals).toEqual({
    delivered: 1,
    pending: 0,
    failed: 1,
    unrouted: 0,
    replaced: 0,
    skipped: 0,
  });
  expect(status.rows.find((row) => row.job_id === 'damaged')).toMatchObject({
    state: 'failed',
    error_code: 'LOCAL_MISMATCH',
    backend: 'nas',
  });
  const table = (await imkHere('sync', 'status')).stdout;
  expect(table).toMatch(/^delivered +good\/files\/audio\/a\.m4a -> nas:/m);
  expect(table).toMatch(/^failed +damaged\/files\/audio\/a\.m4a -> nas:.*\[LOCAL_MISMATCH\]/m);

  // A final failure stays failed on the next pass (and the exit code says so), until the file is restored and retried.
  const again = await imkHere('sync', '--once');
  expect(again.stdout).toMatch(
    /0 delivered, 1 already delivered, 1 failed \(1 for good, 0 will be retried\), 0 waiting to retry, 0 unrouted/,
  );
  expect(again.exitCode).toBe(2);
  await writeFile(damagedFile, damaged.get('files/audio/a.m4a')!);
  const retry = await imk('sync', 'retry', 'damaged');
  expect(retry.exitCode).toBe(0);
  expect(retry.stdout).toMatch(/1 failed transfer marked for retry \(job damaged\)/);
  expect(retry.stdout).toMatch(/nas-sync: 1 delivered/);
  expect(await readFile(join(t.nas, 'Music', 'Artist', 'Title damaged (instrumental).m4a'))).toEqual(
    damaged.get('files/audio/a.m4a'),
  );
  const after = JSON.parse((await imkHere('sync', 'status', '--json')).stdout) as SyncStatus;
  expect(after.totals).toEqual({ delivered: 2, pending: 0, failed: 0, unrouted: 0, replaced: 0, skipped: 0 });
});

it('imk sync: two songs with the same tags both arrive, status says conflict; verify finds a deleted copy, retry sends it', async () => {
  await writeConfig(t.root, localConfig(t.nas));
  const tags = { artist: 'Same', title: 'Song' };
  await writeJob(t.outputs, { jobId: 'one', ...tags, artifacts: [{ path: 'files/audio/a.m4a' }] });
  const two = await writeJob(t.outputs, {
    jobId: 'two',
    ...tags,
    artifacts: [{ path: 'files/audio/a.m4a' }],
  });
  expect((await imkHere('sync', '--once')).stdout).toMatch(/nas-sync: 2 delivered/);
  const folder = join(t.nas, 'Music', 'Same');
  const renamed = join(folder, 'Song (instrumental) (2).m4a');
  expect(await readFile(renamed)).toEqual(two.get('files/audio/a.m4a'));
  const table = (await imkHere('sync', 'status')).stdout;
  expect(table).toMatch(
    /^delivered +two\/files\/audio\/a\.m4a -> nas:.*Song \(instrumental\) \(2\)\.m4a.*conflict: .*Song \(instrumental\)\.m4a held one\/files\/audio\/a\.m4a/m,
  );
  expect(table).toMatch(/2 delivered, 0 pending, 0 failed, 0 unrouted, 1 conflict/);

  await rm(renamed);
  const verify = await imk('sync', 'verify');
  expect(verify.exitCode).toBe(2);
  expect(verify.stdout).toMatch(/^missing +two\/files\/audio\/a\.m4a -> nas:.*\(2\)\.m4a/m);
  expect(verify.stdout).toMatch(/verify: 2 checked, 1 as delivered, 1 missing, 0 changed/);
  const json = JSON.parse((await imkHere('sync', 'verify', '--json', '--job', 'one')).stdout) as {
    ok: number;
  };
  expect(json.ok).toBe(1);
  const retry = await imkHere('sync', 'retry');
  expect(retry.stdout).toMatch(/nas-sync: 1 delivered/);
  expect(await readFile(renamed)).toEqual(two.get('files/audio/a.m4a'));
  expect((await imkHere('sync', 'verify')).exitCode).toBe(0);
});

it('imk sync status says why a copy is numbered when a file no receipt wrote has its name but for case or accents', async () => {
  await writeConfig(t.root, localConfig(t.nas));
  // Someone else's file, on a case-sensitive disk (this host's): served over SMB it would hide ours.
  const folder = join(t.nas, 'Music', 'Artist');
  const theirs = join(folder, 'CAFÉ SONG (INSTRUMENTAL).m4a');
  await mkdir(folder, { recursive: true });
  await writeFile(theirs, 'their file');
  await writeJob(t.outputs, {
    jobId: 'cafe',
    artist: 'Artist',
    title: 'Café Song',
    artifacts: [{ path: 'files/audio/a.m4a' }],
  });
  expect((await imkHere('sync', '--once')).stdout).toMatch(/nas-sync: 1 delivered/);
  expect(await readFile(theirs, 'utf8')).toBe('their file');
  const table = (await imkHere('sync', 'status')).stdout;
  expect(table).toContain(
    `conflict: ${join(folder, 'Café Song (instrumental).m4a')} held a file no receipt of this host wrote (as ${theirs}: names that differ only by case or accent encoding are one file on most shares); delivered as ${join(folder, 'Café Song (instrumental) (2).m4a')}`,
  );
  const json = JSON.parse((await imkHere('sync', 'status', '--json')).stdout) as SyncStatus;
  expect(json.rows[0]?.conflict).toMatchObject({ resolution: 'renamed', found_as: theirs });
});

it('imk sync status lists a copy found gone whose outputs were removed as released, and the next song with those tags gets its path', async () => {
  await writeConfig(t.root, localConfig(t.nas));
  const tags = { artist: 'Same', title: 'Song' };
  await writeJob(t.outputs, { jobId: 'one', ...tags, artifacts: [{ path: 'files/audio/a.m4a' }] });
  expect((await imkHere('sync', '--once')).stdout).toMatch(/nas-sync: 1 delivered/);
  const path = join(t.nas, 'Music', 'Same', 'Song (instrumental).m4a');
  await rm(path);
  expect((await imkHere('sync', 'verify')).stdout).toMatch(/1 missing/);
  // Retention removed job one's outputs: its copy can never come back.
  await rm(join(t.outputs, 'one'), { recursive: true });
  const table = (await imkHere('sync', 'status')).stdout;
  expect(table).toContain(
    `released  one/files/audio/a.m4a -> nas:${path}  found gone by imk sync verify, and the job's outputs are gone`,
  );
  expect(table).toMatch(/0 delivered, 0 pending, 0 failed, 0 unrouted, 1 released/);
  const json = JSON.parse((await imkHere('sync', 'status', '--json')).stdout) as SyncStatus;
  expect(json.released).toMatchObject([{ job_id: 'one', backend: 'nas', remote_path: path }]);

  const two = await writeJob(t.outputs, {
    jobId: 'two',
    ...tags,
    artifacts: [{ path: 'files/audio/a.m4a' }],
  });
  expect((await imkHere('sync', '--once')).stdout).toMatch(/nas-sync: 1 delivered/);
  expect(await readFile(path)).toEqual(two.get('files/audio/a.m4a'));
  expect(existsSync(join(t.nas, 'Music', 'Same', 'Song (instrumental) (2).m4a'))).toBe(false);
});

it('imk sync --once exits 2 when conflict: fail stops a transfer at planning time (two jobs, one name, one pass)', async () => {
  await writeConfig(
    t.root,
    localConfig(t.nas).replace('enabled: true\n', 'enabled: true\n  conflict: fail\n'),
  );
  const tags = { artist: 'Same', title: 'Song' };
  const one = await writeJob(t.outputs, {
    jobId: 'one',
    ...tags,
    artifacts: [{ path: 'files/audio/a.m4a' }],
  });
  await writeJob(t.outputs, { jobId: 'two', ...tags, artifacts: [{ path: 'files/audio/a.m4a' }] });

  const once = await imk('sync', '--once');
  expect(once.stdout).toMatch(
    /nas-sync: 1 delivered, 0 already delivered, 1 failed \(1 for good, 0 will be retried\), 0 waiting to retry, 0 unrouted/,
  );
  expect(once.stderr).toMatch(
    /already holds a different file \(files\/audio\/a\.m4a of job one\); files\/audio\/a\.m4a of job two is not sent \(conflict: fail\)/,
  );
  expect(once.exitCode).toBe(2);
  expect(await readFile(join(t.nas, 'Music', 'Same', 'Song (instrumental).m4a'))).toEqual(
    one.get('files/audio/a.m4a'),
  );
  // The failure stands on the next pass, and so does the exit code.
  expect((await imkHere('sync', '--once')).exitCode).toBe(2);
  // A dry run sends nothing and fails nothing.
  expect((await imkHere('sync', '--dry-run')).exitCode).toBe(0);
});

// A mistyped job id used to give "0 jobs", "0 failed transfers marked for retry" or an empty table, and exit 0,
// as if that job had nothing to send.
it('imk sync --once/--dry-run/status/verify --job and retry <job> say so when no job has that id, and exit 1', async () => {
  await writeConfig(t.root, localConfig(t.nas));
  await writeJob(t.outputs, { jobId: 'good', artifacts: [{ path: 'files/audio/a.m4a' }] });
  expect((await imkHere('sync', '--once')).exitCode).toBe(0);
  for (const args of [
    ['sync', '--once', '--job', 'goood'],
    ['sync', '--dry-run', '--job', 'goood'],
    ['sync', 'status', '--job', 'goood'],
    ['sync', 'verify', '--job', 'goood'],
    ['sync', 'retry', 'goood'],
  ]) {
    const result = await imk(...args);
    expect(result.exitCode, args.join(' ')).toBe(1);
    expect(result.stderr, args.join(' ')).toContain(
      `imk: no job "goood" in ${t.outputs} (a job appears there once it finished) and no delivery of it in`,
    );
    expect(result.stderr).toContain('[JOB_NOT_FOUND]');
  }
  // A job whose outputs retention removed is still known by its receipts: its copies can be checked.
  await rm(join(t.outputs, 'good'), { recursive: true });
  expect((await imk('sync', 'verify', '--job', 'good')).exitCode).toBe(0);
  expect((await imk('sync', 'status', '--job', 'good')).exitCode).toBe(0);
});

it('imk sync --once exits 2 while an artifact matches no route under unrouted: fail, and 0 under warn', async () => {
  await writeJob(t.outputs, {
    jobId: 'clip',
    artist: 'Band',
    title: 'Live',
    artifacts: [
      { path: 'files/audio/a.m4a' },
      { path: 'files/video/clip.mp4', kind: 'video', variant: 'source' },
    ],
  });
  await writeConfig(t.root, localConfig(t.nas));
  const warned = await imk('sync', '--once');
  expect(warned.stdout).toMatch(/1 delivered, .* 1 unrouted/);
  expect(warned.exitCode).toBe(0);

  await writeConfig(
    t.root,
    localConfig(t.nas).replace('enabled: true\n', 'enabled: true\n  unrouted: fail\n'),
  );
  const failed = await imk('sync', '--once');
  expect(failed.stderr).toMatch(/files\/video\/clip\.mp4/);
  expect(failed.exitCode).toBe(2);
  // It stands on the next pass; a dry run fails nothing.
  expect((await imkHere('sync', '--once')).exitCode).toBe(2);
  expect((await imkHere('sync', '--dry-run')).exitCode).toBe(0);
});

it('imk sync --once without configuration prints why, naming the file under the root, and succeeds', async () => {
  const result = await imk('sync', '--once');
  expect(result.exitCode).toBe(0);
  // The root's own file, by its full path: a bare "config/nas-sync.yaml" read, from imk's own folder, as
  // the repository's config/ (where the example lies), and a file written there is never read.
  expect(result.stdout).toContain(
    `${join(t.root, 'config', 'nas-sync.yaml')} does not exist; nothing is synced: write it with nasSync.enabled: true and routes`,
  );
});
