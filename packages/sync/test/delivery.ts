import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ReceiptStore,
  RouteSchema,
  createBackend,
  createSyncEngine,
  type BackendOptions,
  type ConflictPolicy,
  type Route,
  type SyncBackend,
} from '../src/index.ts';
import { writeJob, type FixtureJob } from './fixtures.ts';
import { capturingLogger, tempDir, testLogger } from './helpers.ts';

/** A destination for the delivery suite: a backend on a real server, and a way to read what it holds. */
export interface DeliveryTarget {
  options: BackendOptions;
  /** A fresh folder (route path) on the destination for each test. */
  base(): string;
  /** Reads a file from the server's side, not through the backend. */
  readRemote(remotePath: string): Promise<Buffer>;
  env?: NodeJS.ProcessEnv;
  teardown?(): Promise<void>;
}

const nameBytes = (target: DeliveryTarget) => target.options.maxNameBytes ?? 255;

const LEGACY_ROUTES = fileURLToPath(
  new URL('../../../../shared/legacy-samples/nas-sync.legacy-routes.yaml', import.meta.url),
);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A job as the earlier project wrote it: three variants and four stems named like every other job's. */
const legacyJob = (jobId: string, title: string): FixtureJob => ({
  jobId,
  artist: 'Py Artist',
  title,
  legacy: true,
  artifacts: [
    { path: `files/audio/Py Artist - ${title}.m4a`, variant: 'instrumental' },
    { path: `files/audio/Py Artist - ${title} (no drums).m4a`, variant: 'no_drums' },
    { path: `files/audio/Py Artist - ${title} (drums only).m4a`, variant: 'drums_only' },
    ...['bass', 'drums', 'other', 'vocals'].map((stem) => ({
      path: `files/stems/${stem}.wav`,
      kind: 'stems' as const,
      variant: stem,
    })),
  ],
});

/**
 * What a user notices of delivery, end to end through the engine to one real destination: legacy routes
 * deliver every file under its own name, nothing ever overwrites another job's file, names fit, re-runs
 * send nothing, and a copy gone from the destination is found and sent again.
 */
export function testDelivery(name: string, setup: () => Promise<DeliveryTarget>): void {
  describe(`delivery through ${name}`, () => {
    let target: DeliveryTarget;
    let dir: Awaited<ReturnType<typeof tempDir>>;
    let outputs: string;
    let receipts: ReceiptStore;
    let root: string;

    beforeAll(async () => {
      target = await setup();
    });
    afterAll(async () => {
      await target?.teardown?.();
    });
    beforeEach(async () => {
      dir = await tempDir('imk-delivery-');
      outputs = join(dir.path, 'outputs');
      root = target.base();
      receipts = ReceiptStore.open({ file: join(dir.path, 'nas-sync.sqlite') })!;
      return async () => {
        receipts.close();
        await dir.remove();
      };
    });

    const engine = (routes: Route[], conflict?: ConflictPolicy, logger = testLogger()) =>
      createSyncEngine({
        outputsDir: outputs,
        receipts,
        routes,
        remoteRoots: {
          audio: posix.join(root, 'audio'),
          video: posix.join(root, 'video'),
          stems: posix.join(root, 'stems'),
        },
        backends: { local: target.options },
        ...(conflict && { conflict }),
        logger,
        env: target.env,
        retry: { attemptsPerPass: 1, initialDelaySec: 60, maxDelaySec: 600 },
      });
    const route = (to: string): Route => RouteSchema.parse({ to });
    const delivered = () => [...receipts.all().values()].filter((r) => r.status === 'delivered');

    it('legacy-shaped routes over 3 jobs deliver 3 × 7 distinct files under their own names; a re-run sends nothing', async () => {
      const yaml = parse(await readFile(LEGACY_ROUTES, 'utf8')) as { nasSync: { routes: unknown[] } };
      const routes = yaml.nasSync.routes.map((r) => RouteSchema.parse(r));
      const contents = new Map<string, Buffer>();
      for (const [jobId, title] of [
        ['job_a', 'Song A'],
        ['job_b', 'Song B'],
        ['job_c', 'Song C'],
      ] as const)
        for (const [path, data] of await writeJob(outputs, legacyJob(jobId, title)))
          contents.set(`${jobId}/${path}`, data);
      const summary = await engine(routes).runPass();
      expect(summary).toMatchObject({ delivered: 21, failed: 0, unrouted: 0 });
      const copies = delivered();
      expect(new Set(copies.map((r) => r.remotePath)).size).toBe(21);
      for (const receipt of copies) {
        const data = await target.readRemote(receipt.remotePath);
        expect(sha256(data)).toBe(sha256(contents.get(`${receipt.jobId}/${receipt.artifactPath}`)!));
      }
      const paths = copies.map((r) => posix.relative(root, r.remotePath)).sort();
      expect(paths).toContain('audio/Instrumental/Py Artist - Song A.m4a');
      expect(paths).toContain('audio/NoDrums/Py Artist - Song B (no drums).m4a');
      expect(paths).toContain('audio/DrumsOnly/Py Artist - Song C (drums only).m4a');
      // Stems of every job are called bass.wav…: the second and third are renamed, never overwritten.
      expect(paths.filter((p) => p.startsWith('stems/bass'))).toEqual([
        'stems/bass (2).wav',
        'stems/bass (3).wav',
        'stems/bass.wav',
      ]);
      expect(await engine(routes).runPass()).toMatchObject({ delivered: 0, alreadyDelivered: 21, failed: 0 });
    });

    it('two jobs with identical tags: both survive (rename), and the log says so', async () => {
      const same = { artist: 'Same', title: 'Same Song' };
      const a = await writeJob(outputs, { jobId: 'job_1', ...same, artifacts: [{ path: 'files/a.m4a' }] });
      const b = await writeJob(outputs, { jobId: 'job_2', ...same, artifacts: [{ path: 'files/a.m4a' }] });
      const { logger, lines } = capturingLogger();
      const routes = [route('${remoteRoots.audio}/{artist}/{title}.{ext}')];
      expect(await engine(routes, undefined, logger).runPass()).toMatchObject({ delivered: 2, failed: 0 });
      const folder = posix.join(root, 'audio', 'Same');
      expect(sha256(await target.readRemote(posix.join(folder, 'Same Song.m4a')))).toBe(
        sha256(a.get('files/a.m4a')!),
      );
      expect(sha256(await target.readRemote(posix.join(folder, 'Same Song (2).m4a')))).toBe(
        sha256(b.get('files/a.m4a')!),
      );
      expect(lines().some((line) => /conflict: .*Same Song\.m4a.*job_1/.test(String(line.msg)))).toBe(true);
      expect(await engine(routes).runPass()).toMatchObject({ delivered: 0, alreadyDelivered: 2 });
    });

    it('names that differ only by case or accent encoding (NFC/NFD) are one name: later songs are numbered, never written beside or over it', async () => {
      // A Mac or an SMB share takes "Café Song.m4a", "CAFÉ SONG.m4a" and "Café Song.m4a" written with a
      // combining accent (NFD, as macOS writes names) for one file; so must the plan, whatever this
      // destination's own file system does.
      const nfd = 'CAFE\u0301 SONG';
      const a = await writeJob(outputs, {
        jobId: 'job_nfc',
        title: 'Café Song',
        artifacts: [{ path: 'files/a.m4a' }],
      });
      const routes = [route('${remoteRoots.audio}/{title}.{ext}')];
      expect(await engine(routes).runPass()).toMatchObject({ delivered: 1, failed: 0 });
      // A later pass (the first copy is held by its receipt), and two songs meeting in one pass.
      const b = await writeJob(outputs, {
        jobId: 'job_nfd',
        title: nfd,
        artifacts: [{ path: 'files/a.m4a' }],
      });
      const c = await writeJob(outputs, {
        jobId: 'job_up',
        title: 'café song'.normalize('NFD'),
        artifacts: [{ path: 'files/a.m4a' }],
      });
      const { logger, lines } = capturingLogger();
      expect(await engine(routes, undefined, logger).runPass()).toMatchObject({ delivered: 2, failed: 0 });
      const byJob = new Map(delivered().map((r) => [r.jobId, posix.relative(root, r.remotePath)]));
      expect(byJob.get('job_nfc')).toBe('audio/Café Song.m4a');
      const folded = [...byJob.values()].map((p) => p.normalize('NFC').toLowerCase()).sort();
      expect(folded).toEqual(['audio/café song (2).m4a', 'audio/café song (3).m4a', 'audio/café song.m4a']);
      for (const [jobId, data] of [
        ['job_nfc', a],
        ['job_nfd', b],
        ['job_up', c],
      ] as const)
        expect(sha256(await target.readRemote(posix.join(root, byJob.get(jobId)!)))).toBe(
          sha256(data.get('files/a.m4a')!),
        );
      expect(lines().some((line) => /conflict: .*job_nfc/.test(String(line.msg)))).toBe(true);
      expect(await engine(routes).runPass()).toMatchObject({ delivered: 0, alreadyDelivered: 3 });
    });

    it('two jobs with identical tags and conflict: fail: the second fails for good, naming both jobs and the path', async () => {
      const same = { artist: 'Same', title: 'Same Song' };
      const a = await writeJob(outputs, { jobId: 'job_1', ...same, artifacts: [{ path: 'files/a.m4a' }] });
      await writeJob(outputs, { jobId: 'job_2', ...same, artifacts: [{ path: 'files/a.m4a' }] });
      const routes = [route('${remoteRoots.audio}/{artist}/{title}.{ext}')];
      const summary = await engine(routes, 'fail').runPass();
      expect(summary).toMatchObject({ delivered: 1, failedFinal: 1 });
      const failed = [...receipts.all().values()].find((r) => r.status === 'failed');
      expect(failed).toMatchObject({ jobId: 'job_2', errorCode: 'CONFLICT', final: true });
      expect(failed?.errorMessage).toContain('job_1');
      expect(failed?.errorMessage).toContain('job_2');
      expect(failed?.errorMessage).toContain('Same Song.m4a');
      const path = posix.join(root, 'audio', 'Same', 'Same Song.m4a');
      expect(sha256(await target.readRemote(path))).toBe(sha256(a.get('files/a.m4a')!));
    });

    it('a file at the destination that no receipt wrote is never overwritten; a 99-character CJK title fits', async () => {
      const title = '夜'.repeat(99);
      const job = await writeJob(outputs, { jobId: 'job_cjk', title, artifacts: [{ path: 'files/x.m4a' }] });
      const routes = [route('${remoteRoots.audio}/{title} ({variant}).{ext}')];
      const planned = (await engine(routes).plan()).transfers[0]!.remotePath;
      expect(Buffer.byteLength(posix.basename(planned))).toBeLessThanOrEqual(nameBytes(target));
      expect(planned.endsWith(' (instrumental).m4a')).toBe(true);
      // Someone else's file under that name (put there directly, not by a sync pass).
      const stranger = join(dir.path, 'stranger.m4a');
      const strangerData = randomBytes(777);
      await writeFile(stranger, strangerData);
      const backend: SyncBackend = createBackend(target.options, {
        name: 'direct',
        logger: testLogger(),
        env: target.env,
      });
      try {
        await backend.put({
          localPath: stranger,
          remotePath: planned,
          bytes: 777,
          sha256: sha256(strangerData),
        });
      } finally {
        await backend.close();
      }
      expect(await engine(routes).runPass()).toMatchObject({ delivered: 1, failed: 0 });
      expect(sha256(await target.readRemote(planned))).toBe(sha256(strangerData));
      const receipt = delivered()[0]!;
      expect(Buffer.byteLength(posix.basename(receipt.remotePath))).toBeLessThanOrEqual(nameBytes(target));
      expect(receipt.remotePath.endsWith(' (instrumental) (2).m4a')).toBe(true);
      expect(receipt.remotePath).not.toBe(planned);
      expect(sha256(await target.readRemote(receipt.remotePath))).toBe(sha256(job.get('files/x.m4a')!));
    });

    /** Puts files straight onto the destination, as another program would (no receipt of ours). */
    const putStranger = async (remotePath: string): Promise<Buffer> => {
      const data = randomBytes(500 + Math.floor(Math.random() * 500));
      const file = join(dir.path, `stranger-${randomBytes(4).toString('hex')}`);
      await writeFile(file, data);
      const backend = createBackend(target.options, {
        name: 'direct',
        logger: testLogger(),
        env: target.env,
      });
      try {
        await backend.put({ localPath: file, remotePath, bytes: data.length, sha256: sha256(data) });
      } finally {
        await backend.close();
      }
      return data;
    };

    it('a file no receipt wrote whose name differs from ours only by case or accent encoding (NFC/NFD) is left as it is; ours arrives numbered and says why', async () => {
      // On ext4, S3 or SFTP these are three names; served over SMB or copied to a Mac they are one.
      const folder = posix.join(root, 'audio', 'Alike');
      const upper = posix.join(folder, 'CAFÉ SONG.m4a');
      const nfd = posix.join(folder, 'Café Song.m4a'.normalize('NFD'));
      const theirs = [
        [upper, await putStranger(upper)],
        [nfd, await putStranger(nfd)],
      ] as const;
      const job = await writeJob(outputs, {
        jobId: 'job_cafe',
        title: 'Café Song',
        artifacts: [{ path: 'files/a.m4a' }],
      });
      const routes = [route('${remoteRoots.audio}/Alike/{title}.{ext}')];
      const { logger, lines } = capturingLogger();
      const summary = await engine(routes, undefined, logger).runPass();
      expect(summary).toMatchObject({ delivered: 1, failed: 0 });
      const receipt = delivered()[0]!;
      expect(receipt.remotePath).toBe(posix.join(folder, 'Café Song (2).m4a'));
      expect(sha256(await target.readRemote(receipt.remotePath))).toBe(sha256(job.get('files/a.m4a')!));
      for (const [path, data] of theirs) expect(sha256(await target.readRemote(path))).toBe(sha256(data));
      // Why: the name found there, which the status and the log show.
      expect(summary.outcomes[0]?.transfer.conflict).toMatchObject({
        resolution: 'renamed',
        path: posix.join(folder, 'Café Song.m4a'),
        holder: { jobId: '', remotePath: expect.stringMatching(/CAFÉ SONG\.m4a$|Cafe\u0301 Song\.m4a$/) },
      });
      expect(
        lines().some((line) =>
          /conflict: .*no receipt of this host wrote.*case or accent encoding.*delivering as .*\(2\)/.test(
            String(line.msg),
          ),
        ),
      ).toBe(true);
      expect(await engine(routes).runPass()).toMatchObject({ delivered: 0, alreadyDelivered: 1 });
    });

    it('conflict: replace never replaces a name-alike no receipt wrote (ours arrives numbered); conflict: fail names it', async () => {
      const replaceDir = posix.join(root, 'audio', 'Replace');
      const theirs = posix.join(replaceDir, 'café song.m4a');
      const theirData = await putStranger(theirs);
      const failDir = posix.join(root, 'audio', 'Fail');
      const failTheirs = posix.join(failDir, 'CAFE\u0301 SONG.m4a');
      await putStranger(failTheirs);
      await writeJob(outputs, { jobId: 'job_r', title: 'Café Song', artifacts: [{ path: 'files/a.m4a' }] });
      const replaced = await engine(
        [route('${remoteRoots.audio}/Replace/{title}.{ext}')],
        'replace',
      ).runPass();
      expect(replaced).toMatchObject({ delivered: 1, failed: 0 });
      expect(delivered()[0]?.remotePath).toBe(posix.join(replaceDir, 'Café Song (2).m4a'));
      expect(sha256(await target.readRemote(theirs))).toBe(sha256(theirData));
      const failed = await engine([route('${remoteRoots.audio}/Fail/{title}.{ext}')], 'fail').runPass();
      expect(failed).toMatchObject({ delivered: 0, failed: 1, failedFinal: 1 });
      const receipt = [...receipts.all().values()].find((r) => r.status === 'failed');
      expect(receipt).toMatchObject({ errorCode: 'CONFLICT', final: true });
      expect(receipt?.errorMessage).toContain(`as ${failTheirs}`);
    });

    it('imk sync verify finds a copy deleted from the destination, and a retry sends it again', async () => {
      const job = await writeJob(outputs, {
        jobId: 'job_v',
        artifacts: [{ path: 'files/v.m4a' }, { path: 'files/w.m4a' }],
      });
      const routes = [route('${remoteRoots.audio}/Verify')];
      await engine(routes).runPass();
      const gone = posix.join(root, 'audio', 'Verify', 'v.m4a');
      const backend = createBackend(target.options, {
        name: 'direct',
        logger: testLogger(),
        env: target.env,
      });
      try {
        await backend.remove(gone);
      } finally {
        await backend.close();
      }
      const report = await engine(routes).verify();
      expect(report).toMatchObject({ checked: 2, ok: 1, missing: 1, changed: 0 });
      expect(report.copies.find((c) => c.state === 'missing')?.remotePath).toBe(gone);
      expect(receipts.resetFailures()).toBe(1);
      expect(await engine(routes).runPass()).toMatchObject({ delivered: 1, alreadyDelivered: 1 });
      expect(sha256(await target.readRemote(gone))).toBe(sha256(job.get('files/v.m4a')!));
      expect(await engine(routes).verify()).toMatchObject({ checked: 2, ok: 2 });
    });
  });
}
