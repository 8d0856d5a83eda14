// The sync engine and a destination copy that changed, was re-processed, met a name taken, or lost its
// receipt: never over what is there, each version kept and found again.
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RouteSchema, createSyncEngine } from '../src/index.ts';
import { writeJob } from './fixtures.ts';
import { capturingLogger } from './helpers.ts';
import {
  dir,
  engineFixtures,
  engineOptions,
  nas,
  outputs,
  receipts,
  reopen,
  setReceipts,
} from './engine-kit.ts';

engineFixtures();

describe('sync engine: versions, conflicts and lost receipts', () => {
  it('re-sends an artifact whose content changed after delivery under the conflict policy, never over the old copy', async () => {
    const job = {
      jobId: 'job1',
      artifacts: [{ path: 'files/stems/drums.flac', kind: 'stems' as const, variant: 'drums' }],
    };
    const first = await writeJob(outputs, job);
    await createSyncEngine(engineOptions()).runPass();
    const changed = await writeJob(outputs, job);
    const second = await createSyncEngine(engineOptions()).runPass();
    expect(second).toMatchObject({ delivered: 1, alreadyDelivered: 0 });
    // rename (the default): the delivered copy stays, the new content arrives beside it.
    expect(await readFile(join(nas, 'Stems', 'job1', 'drums.flac'))).toEqual(
      first.get('files/stems/drums.flac'),
    );
    expect(await readFile(join(nas, 'Stems', 'job1', 'drums (2).flac'))).toEqual(
      changed.get('files/stems/drums.flac'),
    );
    // Each delivered version keeps its receipt.
    const paths = () =>
      [...receipts.all().values()]
        .filter((r) => r.jobId === 'job1' && r.status === 'delivered')
        .map((r) => r.remotePath)
        .sort();
    expect(paths()).toEqual([
      join(nas, 'Stems', 'job1', 'drums (2).flac'),
      join(nas, 'Stems', 'job1', 'drums.flac'),
    ]);
    expect(await createSyncEngine(engineOptions()).runPass()).toMatchObject({
      delivered: 0,
      alreadyDelivered: 1,
    });

    // replace, when asked for: the latest copy (2) is overwritten and its receipt goes; the first stays.
    const third = await writeJob(outputs, job);
    await createSyncEngine(engineOptions({ conflict: 'replace' })).runPass();
    expect(await readFile(join(nas, 'Stems', 'job1', 'drums (2).flac'))).toEqual(
      third.get('files/stems/drums.flac'),
    );
    expect(await readFile(join(nas, 'Stems', 'job1', 'drums.flac'))).toEqual(
      first.get('files/stems/drums.flac'),
    );
    expect(paths()).toEqual([
      join(nas, 'Stems', 'job1', 'drums (2).flac'),
      join(nas, 'Stems', 'job1', 'drums.flac'),
    ]);
    expect((await createSyncEngine(engineOptions()).verify()).ok).toBe(2);
  });

  it('keeps the receipt of every delivered version of a re-processed artifact: numbered from the route path, and verified', async () => {
    const job = {
      jobId: 'job1',
      artifacts: [{ path: 'files/stems/drums.flac', kind: 'stems' as const, variant: 'drums' }],
    };
    const folder = join(nas, 'Stems', 'job1');
    const versions = [];
    for (let i = 0; i < 3; i++) {
      versions.push((await writeJob(outputs, job)).get('files/stems/drums.flac'));
      expect(await createSyncEngine(engineOptions()).runPass()).toMatchObject({ delivered: 1, failed: 0 });
    }
    // (2) then (3), never "(2) (2)".
    expect((await readdir(folder)).sort()).toEqual(['drums (2).flac', 'drums (3).flac', 'drums.flac']);
    expect(await readFile(join(folder, 'drums.flac'))).toEqual(versions[0]);
    expect(await readFile(join(folder, 'drums (2).flac'))).toEqual(versions[1]);
    expect(await readFile(join(folder, 'drums (3).flac'))).toEqual(versions[2]);
    expect([...receipts.all().values()].filter((r) => r.status === 'delivered')).toHaveLength(3);

    // The first copy disappears: verify notices it, though later versions were delivered since. Nothing
    // can send that version again, so it is reported once and its receipt dropped, not left for retry.
    await rm(join(folder, 'drums.flac'));
    const report = await createSyncEngine(engineOptions()).verify();
    expect(report).toMatchObject({ checked: 3, ok: 2, missing: 1 });
    expect(report.copies.find((c) => c.state === 'missing')).toMatchObject({
      remotePath: join(folder, 'drums.flac'),
      earlierVersion: true,
    });
    expect(receipts.resetFailures()).toBe(0);
    expect(await createSyncEngine(engineOptions()).verify()).toMatchObject({ checked: 2, ok: 2, missing: 0 });
    // The current version's copy gone: recorded for retry, which sends it back under its path.
    await rm(join(folder, 'drums (3).flac'));
    expect(await createSyncEngine(engineOptions()).verify()).toMatchObject({ missing: 1 });
    expect(receipts.resetFailures()).toBe(1);
    await createSyncEngine(engineOptions()).runPass();
    expect(await readFile(join(folder, 'drums (3).flac'))).toEqual(versions[2]);
  });

  it('conflict: replace under a name that differs only by case or accent encoding replaces that copy, and its receipt says so', async () => {
    const a = await writeJob(outputs, {
      jobId: 'job_a',
      title: 'Café',
      artifacts: [{ path: 'files/a.m4a' }],
    });
    const routes = [RouteSchema.parse({ to: '${remoteRoots.audio}/{title}.{ext}', backend: 'nas' })];
    await createSyncEngine(engineOptions({ routes })).runPass();
    const b = await writeJob(outputs, {
      jobId: 'job_b',
      title: 'CAFE\u0301',
      artifacts: [{ path: 'files/a.m4a' }],
    });
    const { logger, lines } = capturingLogger();
    const pass = await createSyncEngine(engineOptions({ routes, conflict: 'replace', logger })).runPass();
    expect(pass).toMatchObject({ delivered: 1, failed: 0 });
    // One file, the one job_a's receipt named, now with job_b's content: not a second one beside it.
    expect(await readdir(join(nas, 'Music'))).toEqual(['Café.m4a']);
    expect(await readFile(join(nas, 'Music', 'Café.m4a'))).toEqual(b.get('files/a.m4a'));
    expect(a.get('files/a.m4a')).not.toEqual(b.get('files/a.m4a'));
    const byJob = new Map([...receipts.all().values()].map((r) => [r.jobId, r]));
    expect(byJob.get('job_a')?.replacedBy).toBe('job_b:files/a.m4a');
    expect(byJob.get('job_b')).toMatchObject({
      status: 'delivered',
      remotePath: join(nas, 'Music', 'Café.m4a'),
    });
    expect(lines().some((l) => /conflict: replacing .*Café\.m4a.*job_a/.test(String(l.msg)))).toBe(true);
  });

  describe('two artists whose names differ only by case ("Daft Punk", "DAFT PUNK"): one folder to the plan', () => {
    const routes = [RouteSchema.parse({ to: '${remoteRoots.audio}/{artist}/{title}.{ext}', backend: 'nas' })];
    const song = (jobId: string, artist: string) =>
      writeJob(outputs, { jobId, artist, title: 'One More Time', artifacts: [{ path: 'files/a.m4a' }] });
    const delivered = () =>
      new Map(
        [...receipts.all().values()]
          .filter((r) => r.status === 'delivered' && r.replacedBy === undefined)
          .map((r) => [r.jobId, r.remotePath]),
      );

    // On ext4 the two folders stand side by side; on an SMB or exFAT share they are one, where the second
    // song's file must not take the first one's name: it is numbered, in one pass and in the next.
    it.each([
      ['in one pass', true],
      ['in two passes, by the receipts', false],
    ])('conflict: rename %s: the second is numbered', async (_case, onePass) => {
      const a = await song('job_a', 'Daft Punk');
      if (!onePass) await createSyncEngine(engineOptions({ routes })).runPass();
      const b = await song('job_b', 'DAFT PUNK');
      expect(await createSyncEngine(engineOptions({ routes })).runPass()).toMatchObject({ failed: 0 });
      const paths = delivered();
      expect(paths.get('job_a')).toBe(join(nas, 'Music', 'Daft Punk', 'One More Time.m4a'));
      expect(paths.get('job_b')).toBe(join(nas, 'Music', 'DAFT PUNK', 'One More Time (2).m4a'));
      expect(await readFile(paths.get('job_a')!)).toEqual(a.get('files/a.m4a'));
      expect(await readFile(paths.get('job_b')!)).toEqual(b.get('files/a.m4a'));
    });

    it('conflict: fail in a later pass does not send the second', async () => {
      await song('job_a', 'Daft Punk');
      await createSyncEngine(engineOptions({ routes })).runPass();
      await song('job_b', 'DAFT PUNK');
      expect(await createSyncEngine(engineOptions({ routes, conflict: 'fail' })).runPass()).toMatchObject({
        delivered: 0,
        failedFinal: 1,
      });
      expect(await readdir(join(nas, 'Music'))).toEqual(['Daft Punk']);
      expect([...delivered().keys()]).toEqual(['job_a']);
    });

    it('conflict: replace overwrites the first copy in its own folder, not a new folder beside it', async () => {
      await song('job_a', 'Daft Punk');
      await createSyncEngine(engineOptions({ routes })).runPass();
      const b = await song('job_b', 'DAFT PUNK');
      expect(await createSyncEngine(engineOptions({ routes, conflict: 'replace' })).runPass()).toMatchObject({
        delivered: 1,
        failed: 0,
      });
      // Before, job_b went to a new DAFT PUNK/ folder on a case-sensitive destination while job_a's receipt
      // said replaced: job_a's file stayed, and verify and status no longer knew it.
      expect(await readdir(join(nas, 'Music'))).toEqual(['Daft Punk']);
      expect(await readFile(join(nas, 'Music', 'Daft Punk', 'One More Time.m4a'))).toEqual(
        b.get('files/a.m4a'),
      );
      expect(delivered()).toEqual(new Map([['job_b', join(nas, 'Music', 'Daft Punk', 'One More Time.m4a')]]));
    });
  });

  it('conflict: replace over a folder under the destination name: a named conflict that says what is there, the folder untouched', async () => {
    const job = {
      jobId: 'job1',
      artifacts: [{ path: 'files/stems/drums.flac', kind: 'stems' as const, variant: 'drums' }],
    };
    await writeJob(outputs, job);
    // An album folder of the user's that has the file's name.
    await mkdir(join(nas, 'Stems', 'job1', 'drums.flac', 'disc 1'), { recursive: true });
    const pass = await createSyncEngine(engineOptions({ conflict: 'replace' })).runPass();
    expect(pass).toMatchObject({ delivered: 0, failedFinal: 1 });
    const failed = [...receipts.all().values()].find((r) => r.status === 'failed');
    expect(failed?.errorCode).toBe('CONFLICT');
    expect(failed?.errorMessage).toContain(`nas:${join(nas, 'Stems', 'job1', 'drums.flac')} already holds`);
    expect(failed?.errorMessage).toMatch(/not a regular file \(a folder.*\(conflict: replace\)/);
    expect(failed?.errorMessage).not.toMatch(/EISDIR|set conflict: rename or replace/);
    expect(await readdir(join(nas, 'Stems', 'job1', 'drums.flac'))).toEqual(['disc 1']);
  });

  it('conflict: fail on a re-processed artifact records the failure beside the delivered copy, not over it', async () => {
    const job = {
      jobId: 'job1',
      artifacts: [{ path: 'files/stems/drums.flac', kind: 'stems' as const, variant: 'drums' }],
    };
    const first = await writeJob(outputs, job);
    await createSyncEngine(engineOptions({ conflict: 'fail' })).runPass();
    await writeJob(outputs, job);
    const second = await createSyncEngine(engineOptions({ conflict: 'fail' })).runPass();
    expect(second).toMatchObject({ delivered: 0, failedFinal: 1 });
    const rows = [...receipts.all().values()];
    expect(rows.map((r) => [r.status, r.errorCode ?? '']).sort()).toEqual([
      ['delivered', ''],
      ['failed', 'CONFLICT'],
    ]);
    expect(rows.find((r) => r.status === 'failed')?.errorMessage).toMatch(
      /an earlier version of this artifact/,
    );
    expect(await readFile(join(nas, 'Stems', 'job1', 'drums.flac'))).toEqual(
      first.get('files/stems/drums.flac'),
    );
    // The delivered copy is still checked.
    expect(await createSyncEngine(engineOptions()).verify()).toMatchObject({ checked: 1, ok: 1 });
  });

  it('after the receipts are lost, finds copies already on the destination at any number instead of sending duplicates', async () => {
    const song = (jobId: string) => ({ jobId, title: 'Song', artifacts: [{ path: 'files/audio/i.m4a' }] });
    const a = (await writeJob(outputs, song('jobA'))).get('files/audio/i.m4a');
    const b = (await writeJob(outputs, song('jobB'))).get('files/audio/i.m4a');
    await createSyncEngine(engineOptions()).runPass();
    const folder = join(nas, 'Music', 'Artist');
    const before = (await readdir(folder)).sort();
    expect(before).toEqual(['Song (instrumental) (2).m4a', 'Song (instrumental).m4a']);

    // The state folder is lost, and a new job with the same tags sorts first: the plan numbers it all anew.
    receipts.close();
    await rm(join(dir.path, 'state'), { recursive: true, force: true });
    setReceipts(reopen());
    const zero = (await writeJob(outputs, song('job0'))).get('files/audio/i.m4a');
    expect(await createSyncEngine(engineOptions()).runPass()).toMatchObject({ delivered: 3, failed: 0 });

    const files = (await readdir(folder)).sort();
    const contents = await Promise.all(files.map((name) => readFile(join(folder, name))));
    // Nothing sent twice: three files, three contents; the first two where they were.
    expect(files).toHaveLength(3);
    expect(new Set(contents.map((c) => c.toString('hex'))).size).toBe(3);
    expect(await readFile(join(folder, 'Song (instrumental).m4a'))).toEqual(a);
    expect(await readFile(join(folder, 'Song (instrumental) (2).m4a'))).toEqual(b);
    expect(contents).toContainEqual(zero);
    const at = (jobId: string) => [...receipts.all().values()].find((r) => r.jobId === jobId)?.remotePath;
    expect(at('jobA')).toBe(join(folder, 'Song (instrumental).m4a'));
    expect(at('jobB')).toBe(join(folder, 'Song (instrumental) (2).m4a'));
    expect(await createSyncEngine(engineOptions()).runPass()).toMatchObject({
      delivered: 0,
      alreadyDelivered: 3,
    });
  });

  it('a renamed copy found gone returns under its number; when a foreign file took it, the next number counts from the route path', async () => {
    const song = (jobId: string) => ({ jobId, title: 'Song', artifacts: [{ path: 'files/audio/i.m4a' }] });
    await writeJob(outputs, song('jobA'));
    const b = (await writeJob(outputs, song('jobB'))).get('files/audio/i.m4a');
    await createSyncEngine(engineOptions()).runPass();
    const folder = join(nas, 'Music', 'Artist');
    const second = join(folder, 'Song (instrumental) (2).m4a');
    for (const foreign of [false, true]) {
      await rm(second);
      expect(await createSyncEngine(engineOptions()).verify()).toMatchObject({ missing: 1 });
      if (foreign) await writeFile(second, 'a file nas-sync did not write');
      expect(receipts.resetFailures()).toBe(1);
      expect(await createSyncEngine(engineOptions()).runPass()).toMatchObject({ delivered: 1, failed: 0 });
    }
    expect((await readdir(folder)).sort()).toEqual([
      'Song (instrumental) (2).m4a',
      'Song (instrumental) (3).m4a',
      'Song (instrumental).m4a',
    ]);
    expect(await readFile(join(folder, 'Song (instrumental) (3).m4a'))).toEqual(b);
    expect(await readFile(second, 'utf8')).toBe('a file nas-sync did not write');
  });
});
