import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReceiptStore, RouteSchema, createSyncEngine, type SyncEngineOptions } from '../src/index.ts';
import { audioJob, randomBytes, writeJob } from './fixtures.ts';
import { capturingLogger, tempDir, testLogger } from './helpers.ts';

let dir: { path: string; remove(): Promise<void> };
let outputs: string;
let nas: string;
let receipts: ReceiptStore;

const ROUTES = [
  { match: { kind: 'audio' }, to: '${remoteRoots.audio}/{artist}/{title} ({variant}).{ext}', backend: 'nas' },
  { match: { kind: 'stems' }, to: '${remoteRoots.stems}/{job_id}/', backend: 'nas' },
];

function engineOptions(over: Partial<SyncEngineOptions> = {}): SyncEngineOptions {
  return {
    outputsDir: outputs,
    receipts,
    remoteRoots: { audio: join(nas, 'Music'), stems: join(nas, 'Stems') },
    backends: { nas: { type: 'local', fsync: false } },
    routes: ROUTES.map((r) => ({
      name: undefined,
      ...r,
      match: { ...r.match, variant: undefined, source_type: undefined },
    })),
    logger: testLogger(),
    retry: { attemptsPerPass: 1, initialDelaySec: 60, maxDelaySec: 600 },
    ...over,
  };
}

const reopen = (): ReceiptStore => ReceiptStore.open({ file: join(dir.path, 'state', 'nas-sync.sqlite') })!;

beforeEach(async () => {
  dir = await tempDir('imk-engine-');
  outputs = join(dir.path, 'outputs');
  nas = join(dir.path, 'nas');
  receipts = reopen();
});

afterEach(async () => {
  receipts.close();
  await dir.remove();
});

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
    receipts = reopen();
    const again = await createSyncEngine(engineOptions()).runPass();
    expect(again).toMatchObject({ delivered: 0, alreadyDelivered: 3, failed: 0 });
    expect((await stat(join(nas, 'Stems', 'job2', 'vocals.flac'))).mtimeMs).toBe(mtime);
  });

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
    receipts = reopen();
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
    receipts = reopen();
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
    receipts = reopen();
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
