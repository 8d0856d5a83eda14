import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RouteSchema, createSyncEngine } from '../src/index.ts';
import { audioJob, randomBytes, writeJob } from './fixtures.ts';
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

describe('sync engine', () => {
  it('a skip route sends nothing for what it matches, and no later route takes it (first match wins, as the earlier project did)', async () => {
    await writeJob(outputs, audioJob('job1', ['instrumental', 'no_drums', 'drums_only']));
    const { logger, lines } = capturingLogger();
    // The earlier project's shape, as config/nas-sync.yaml holds it after imk migrate.
    const routes = [
      { kind: 'audio', variant: 'no_drums', skip: true },
      { kind: 'audio', to: '${remoteRoots.audio}/All', backend: 'nas' },
    ].map((route) => RouteSchema.parse(route));
    const engine = createSyncEngine(engineOptions({ routes, logger }));
    const plan = await engine.plan();
    expect(plan.skipped.map((s) => [s.artifact.variant, s.routeName])).toEqual([['no_drums', 'routes.0']]);
    const summary = await engine.runPass();
    expect(summary).toMatchObject({ delivered: 2, unrouted: 0, skipped: 1, failed: 0 });
    expect((await readdir(join(nas, 'Music', 'All'))).sort()).toEqual([
      'Artist - job1 (drums_only).m4a',
      'Artist - job1 (instrumental).m4a',
    ]);
    // Skipped on purpose: no "no route matches" warning.
    expect(lines().some((line) => String(line.msg).includes('no route'))).toBe(false);
  });

  it('delivers every routed artifact once, and nothing again after a restart', async () => {
    await writeJob(outputs, audioJob('job1', ['instrumental', 'no_drums']));
    await writeJob(outputs, {
      jobId: 'job2',
      artifacts: [{ path: 'files/stems/vocals.flac', kind: 'stems', variant: 'vocals' }],
    });
    const engine = createSyncEngine(engineOptions());
    const first = await engine.runPass();
    expect(first).toMatchObject({ jobs: 2, transfers: 3, delivered: 3, failed: 0 });
    expect((await readdir(join(nas, 'Music', 'Artist'))).sort()).toEqual([
      'Title job1 (instrumental).m4a',
      'Title job1 (no_drums).m4a',
    ]);
    expect(await readdir(join(nas, 'Stems', 'job2'))).toEqual(['vocals.flac']);
    const mtime = (await stat(join(nas, 'Stems', 'job2', 'vocals.flac'))).mtimeMs;

    receipts.close();
    setReceipts(reopen());
    const again = await createSyncEngine(engineOptions()).runPass();
    expect(again).toMatchObject({ delivered: 0, alreadyDelivered: 3, failed: 0 });
    expect((await stat(join(nas, 'Stems', 'job2', 'vocals.flac'))).mtimeMs).toBe(mtime);
  });

  it('looks only at complete jobs: no manifest or a dot folder means still being written', async () => {
    await writeJob(outputs, audioJob('.job_tmp'));
    await mkdir(join(outputs, 'job_partial', 'files'), { recursive: true });
    await writeFile(join(outputs, 'job_partial', 'files', 'a.m4a'), 'x');
    const summary = await createSyncEngine(engineOptions()).runPass();
    expect(summary).toMatchObject({ jobs: 0, transfers: 0 });
  });

  it('reads legacy manifests (no sha256): hashes the file itself', async () => {
    const contents = await writeJob(outputs, { ...audioJob('legacy1'), legacy: true });
    const summary = await createSyncEngine(engineOptions()).runPass();
    expect(summary.delivered).toBe(1);
    expect(await readFile(join(nas, 'Music', 'Artist', 'Title legacy1 (instrumental).m4a'))).toEqual(
      [...contents.values()][0],
    );
  });

  it('never lets two artifacts onto one name overwrite each other: renamed by default, or a clear failure', async () => {
    await writeJob(outputs, audioJob('job1', ['instrumental', 'no_drums']));
    const { logger, lines } = capturingLogger();
    const routes = [
      { name: 'flat', match: { kind: 'audio' }, to: '${remoteRoots.audio}/{title}.{ext}', backend: 'nas' },
    ];
    const summary = await createSyncEngine(engineOptions({ logger, routes })).runPass();
    expect(summary).toMatchObject({ transfers: 2, delivered: 2 });
    expect((await readdir(join(nas, 'Music'))).sort()).toEqual(['Title job1 (2).m4a', 'Title job1.m4a']);
    expect(lines().some((l) => String(l.msg).startsWith('conflict:'))).toBe(true);

    await writeJob(outputs, audioJob('job2', ['instrumental']));
    const failing = await createSyncEngine(
      engineOptions({ routes: [{ ...routes[0]!, to: '${remoteRoots.audio}/same.{ext}' }], conflict: 'fail' }),
    ).runPass();
    const refused = [...receipts.all().values()].filter((r) => r.errorCode === 'CONFLICT');
    expect(failing.delivered).toBe(1);
    expect(refused).toHaveLength(2);
    for (const receipt of refused) {
      expect(receipt).toMatchObject({ status: 'failed', final: true });
      expect(receipt.errorMessage).toMatch(/same\.m4a already holds a different file .* of job job[12]/);
    }
  });

  it('never replaces a file at the destination that no receipt wrote, and takes the same content as delivered', async () => {
    const contents = await writeJob(outputs, audioJob('job1'));
    const target = join(nas, 'Music', 'Artist', 'Title job1 (instrumental).m4a');
    await mkdir(join(nas, 'Music', 'Artist'), { recursive: true });
    await writeFile(target, 'a file the user put there');
    await createSyncEngine(engineOptions()).runPass();
    expect(await readFile(target, 'utf8')).toBe('a file the user put there');
    expect(await readFile(join(nas, 'Music', 'Artist', 'Title job1 (instrumental) (2).m4a'))).toEqual(
      [...contents.values()][0],
    );

    receipts.close();
    await rm(join(dir.path, 'state'), { recursive: true });
    setReceipts(reopen());
    // Receipts lost: the copies already there are recognised by their content, nothing is written twice.
    const again = await createSyncEngine(engineOptions()).runPass();
    expect(again).toMatchObject({ delivered: 1, failed: 0 });
    expect((await readdir(join(nas, 'Music', 'Artist'))).sort()).toEqual([
      'Title job1 (instrumental) (2).m4a',
      'Title job1 (instrumental).m4a',
    ]);
  });

  // Legacy routes (`to: ${remoteRoots.stems}`) put every job's stems into one folder: the second song's
  // bass.flac arrived as "bass (2).flac" with nothing saying why or how to keep songs apart.
  it('says how to keep two jobs apart when their files of the same name meet in one folder', async () => {
    for (const jobId of ['song1', 'song2'])
      await writeJob(outputs, {
        jobId,
        artifacts: [{ path: 'files/stems/bass.flac', kind: 'stems', variant: 'bass', data: randomBytes(64) }],
      });
    const { logger, lines } = capturingLogger();
    const routes = [{ name: 'stems', match: { kind: 'stems' }, to: '${remoteRoots.stems}', backend: 'nas' }];
    expect(await createSyncEngine(engineOptions({ logger, routes })).runPass()).toMatchObject({
      delivered: 2,
    });
    expect((await readdir(join(nas, 'Stems'))).sort()).toEqual(['bass (2).flac', 'bass.flac']);
    const warning = lines().find((l) => String(l.msg).startsWith('conflict:'));
    expect(String(warning?.msg)).toMatch(/bass \(2\)\.flac.*Route "stems" .*\{job_id\}\//);
  });

  it('sends an artifact listed twice in one manifest once', async () => {
    const artifact = {
      path: 'files/stems/bass.flac',
      kind: 'stems' as const,
      variant: 'bass',
      data: Buffer.from('bass'),
    };
    await writeJob(outputs, { jobId: 'twice', artifacts: Array.from({ length: 12 }, () => artifact) });
    const summary = await createSyncEngine(engineOptions()).runPass();
    expect(summary).toMatchObject({ transfers: 1, delivered: 1, failed: 0 });
  });

  // Two routes (the first with `continue: true`) whose paths come out the same for one artifact, where a file
  // it must not replace already stood: each of the two transfers numbered a copy of its own ("T (2).m4a" and
  // "T (3).m4a"), one of them with no receipt (they shared one), a stray copy that nothing kept track of.
  it('sends an artifact that two routes put at the same path once, as one copy with its receipt', async () => {
    const contents = await writeJob(outputs, { ...audioJob('both'), title: 'T' });
    await mkdir(join(nas, 'Music'), { recursive: true });
    await writeFile(join(nas, 'Music', 'T.m4a'), 'a file the user put there');
    const route = { match: { kind: 'audio' }, to: '${remoteRoots.audio}/{title}.{ext}', backend: 'nas' };
    const routes = [
      { ...route, name: 'library', continue: true },
      { ...route, name: 'car', to: '${remoteRoots.audio}/{title}.m4a' },
    ];
    const first = await createSyncEngine(engineOptions({ routes })).runPass();
    expect(first).toMatchObject({ transfers: 1, delivered: 1, failed: 0 });
    expect((await readdir(join(nas, 'Music'))).sort()).toEqual(['T (2).m4a', 'T.m4a']);
    expect(await readFile(join(nas, 'Music', 'T (2).m4a'))).toEqual([...contents.values()][0]);
    expect(await readFile(join(nas, 'Music', 'T.m4a'), 'utf8')).toBe('a file the user put there');
    expect([...receipts.all().values()].map((r) => r.remotePath)).toEqual([join(nas, 'Music', 'T (2).m4a')]);
    const again = await createSyncEngine(engineOptions({ routes })).runPass();
    expect(again).toMatchObject({ transfers: 1, delivered: 0, alreadyDelivered: 1 });
    expect((await readdir(join(nas, 'Music'))).sort()).toEqual(['T (2).m4a', 'T.m4a']);
  });

  // Values are compared exactly, as the earlier project did: a route spelt as the label is ("Instrumental"),
  // in upper case or with "-" for "_" takes nothing. The warning and the failure used to say only "no route
  // matches"; they now name the route and what to write.
  it.each([
    [{ kind: 'audio', variant: 'Instrumental' }, 'variant: Instrumental', 'variant: instrumental'],
    [{ kind: 'Audio', variant: 'instrumental' }, 'kind: Audio', 'kind: audio'],
    [
      { kind: 'AUDIO', variant: ['No-Drums', 'Instrumental'] },
      'kind: AUDIO, variant: [No-Drums, Instrumental]',
      'kind: audio, variant: instrumental',
    ],
    [
      { kind: 'audio', variant: 'instrumental', source_type: 'YouTube' },
      'source_type: YouTube',
      'source_type: youtube',
    ],
  ])(
    'a route %j that differs from the artifact only by case, "-" or "_" is named, with what to write',
    async (match, asked, write) => {
      await writeJob(outputs, audioJob('cased'));
      const { logger, lines } = capturingLogger();
      const routes = [
        { kind: 'video', to: '${remoteRoots.audio}/Video', backend: 'nas' },
        { ...match, name: 'instrumentals', to: '${remoteRoots.audio}/Instrumental', backend: 'nas' },
      ].map((route) => RouteSchema.parse(route));
      await createSyncEngine(engineOptions({ routes, logger, unrouted: 'fail' })).runPass();
      const said = lines().find((l) => String(l.msg).includes('no route matches'));
      const receipt = [...receipts.all().values()].find((r) => r.destination === '(unrouted)');
      for (const text of [String(said?.msg), receipt?.errorMessage])
        expect(text).toContain(
          `route "instrumentals" asks for ${asked}, which differs from it only by case, "-" or "_" (values are compared exactly, as in the earlier project): write ${write}`,
        );
    },
  );

  it('an artifact that no route comes near is said unrouted as before, with no route named', async () => {
    await writeJob(outputs, audioJob('plain'));
    const { logger, lines } = capturingLogger();
    const routes = [RouteSchema.parse({ kind: 'video', to: '${remoteRoots.audio}/Video', backend: 'nas' })];
    await createSyncEngine(engineOptions({ routes, logger })).runPass();
    expect(
      lines()
        .filter((l) => String(l.msg).includes('no route'))
        .map((l) => l.msg),
    ).toEqual(['no route matches this artifact; it is not synced']);
  });

  it('warns once about unrouted artifacts, or records them as failed with unrouted: fail', async () => {
    await writeJob(outputs, {
      jobId: 'v1',
      artifacts: [{ path: 'files/video/clip.mp4', kind: 'video', variant: 'source' }],
    });
    const { logger, lines } = capturingLogger();
    const engine = createSyncEngine(engineOptions({ logger }));
    await engine.runPass();
    await engine.runPass();
    expect(lines().filter((l) => String(l.msg).includes('no route matches'))).toHaveLength(1);

    const failing = createSyncEngine(engineOptions({ unrouted: 'fail' }));
    expect((await failing.runPass()).unrouted).toBe(1);
    const receipt = [...receipts.all().values()].find((r) => r.destination === '(unrouted)');
    expect(receipt).toMatchObject({ status: 'failed', final: true, errorCode: 'UNROUTED', jobId: 'v1' });
  });

  it('a dead destination blocks neither the other routes nor the pass, and waits for its backoff', async () => {
    await writeJob(outputs, audioJob('job1'));
    let clock = Date.now();
    const { logger, lines } = capturingLogger();
    const options = engineOptions({
      backends: {
        nas: { type: 'local', fsync: false },
        // Nothing listens on port 1: connection refused at once.
        dead: { type: 'sftp', host: '127.0.0.1', port: 1, password: { env: 'HOME' }, hostKeyCheck: 'off' },
      },
      routes: [
        { name: 'dead', match: { kind: 'audio' }, to: '/srv/{title}.{ext}', backend: 'dead', continue: true },
        { name: 'nas', match: { kind: 'audio' }, to: '${remoteRoots.audio}/{title}.{ext}', backend: 'nas' },
      ],
      now: () => clock,
      // Three tries a pass: a dead destination taken for a passing fault would be waited for and tried again.
      retry: { attemptsPerPass: 3, initialDelaySec: 0.05, maxDelaySec: 600 },
      logger,
    });
    const engine = createSyncEngine(options);
    const first = await engine.runPass();
    expect(first).toMatchObject({ delivered: 1, failed: 1 });
    const failure = first.outcomes.find((o) => o.status === 'failed');
    expect(failure?.error).toMatch(/refused/i);
    expect(failure).toMatchObject({ final: false, errorCode: 'UNREACHABLE' });
    // The pass did not wait for it (counted in the engine's own log, not timed): one try, refused at once
    // (not a connect timeout), said once, and no backoff wait within the pass.
    const said = (text: string) => lines().filter((l) => String(l.msg).includes(text));
    expect(said('destination unreachable, will retry later')).toHaveLength(1);
    expect(said('retrying')).toEqual([]);

    // Within the backoff nothing is tried; after it, the transfer is due again.
    expect(await engine.runPass()).toMatchObject({ delivered: 0, failed: 0, waiting: 1 });
    clock += 10 * 60_000;
    expect(await engine.runPass()).toMatchObject({ failed: 1, waiting: 0 });
  });

  it('does not copy anything on a dry run', async () => {
    await writeJob(outputs, audioJob('job1'));
    const summary = await createSyncEngine(engineOptions()).runPass({ dryRun: true });
    expect(summary.outcomes.map((o) => o.transfer.remotePath)).toEqual([
      join(nas, 'Music', 'Artist', 'Title job1 (instrumental).m4a'),
    ]);
    expect(summary.delivered).toBe(0);
    expect(receipts.all().size).toBe(0);
    await expect(stat(nas)).rejects.toThrow();
  });

  it('re-runs with nothing to do over 1,000 delivered artifacts in under 2 CPU seconds', async () => {
    for (let j = 0; j < 100; j++)
      await writeJob(outputs, {
        jobId: `job${j}`,
        artifacts: Array.from({ length: 10 }, (_, a) => ({
          path: `files/stems/s${a}.flac`,
          kind: 'stems' as const,
          variant: `s${a}`,
          size: 64,
        })),
      });
    const first = await createSyncEngine(engineOptions({ concurrency: 4 })).runPass();
    expect(first.delivered).toBe(1000);
    receipts.close();
    setReceipts(reopen());
    // A fresh engine, as after a restart: lists outputs, reads 100 manifests, checks 1,000 receipts. Timed
    // in CPU seconds (this process's, its I/O threads included): the work the pass does, which a machine
    // busy with other programs does not stretch as it stretches the wall clock.
    const cpu = process.cpuUsage();
    const rerun = await createSyncEngine(engineOptions()).runPass();
    const used = process.cpuUsage(cpu);
    const seconds = (used.user + used.system) / 1e6;
    expect(rerun).toMatchObject({ delivered: 0, alreadyDelivered: 1000 });
    expect(seconds).toBeLessThan(2);
  });
});

describe('a failed delivery whose backend message holds a credential', () => {
  it('keeps the receipt (imk sync status, the dashboard, sync.failed) free of it', async () => {
    await writeJob(outputs, audioJob('job1', ['instrumental']));
    // A real rclone, given an on-the-fly remote with its password in the connection string; nothing listens.
    const secret = 'Sup3rS3cretPassw0rd';
    const engine = createSyncEngine(
      engineOptions({
        backends: {
          nas: {
            type: 'rclone',
            remote: `:sftp,host=127.0.0.1,port=1,user=me,pass=${secret}:`,
            rename: false,
            hashMethod: 'read-back',
          },
        },
      }),
    );
    const pass = await engine.runPass();
    expect(pass).toMatchObject({ failed: 1 });
    const [receipt] = [...receipts.all().values()];
    expect(receipt?.errorMessage).toBeTruthy();
    expect(receipt?.errorMessage).not.toContain(secret);
    expect(receipt?.errorMessage).toContain('host=127.0.0.1');
  });
});

describe('imk sync verify', () => {
  it('a delivered copy replaced by a folder of the same size is "changed", and never read', async () => {
    // 4,096 bytes: what a folder reports on ext4, so the size check alone does not tell them apart.
    await writeJob(outputs, audioJob('job1', ['instrumental', 'no_drums'], 4096));
    const engine = createSyncEngine(engineOptions());
    expect(await engine.runPass()).toMatchObject({ delivered: 2 });
    const folder = join(nas, 'Music', 'Artist', 'Title job1 (instrumental).m4a');
    await rm(folder);
    await mkdir(folder);
    const report = await engine.verify();
    // Before: "unchecked" with EISDIR, and imk sync retry had nothing to send again.
    expect(report).toMatchObject({ checked: 2, ok: 1, changed: 1, unchecked: 0 });
    expect(report.copies.find((c) => c.state === 'changed')?.detail).toContain('not a regular file');
  });
});
