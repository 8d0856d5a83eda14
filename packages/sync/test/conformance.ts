import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import { fitName, numberedPath, type SyncBackend } from '../src/index.ts';
import { withoutFifoWait } from './fifo-wait.ts';

/** tsx's compile cache in the temporary folder (see the TMPDIR checks of testBackend). */
const TSX_CACHE = /^tsx-\d+$/;

/** What a backend suite gets from its setup. */
export interface BackendUnderTest {
  backend: SyncBackend;
  /** The same backend with a 1 MiB/s bandwidth limit. */
  throttled: SyncBackend;
  /**
   * How much the throttled backend may send at full speed after it has been idle, in bytes. @default 0.
   * rclone's limiter is a token bucket holding 4 MiB that fills while nothing is sent (RCLONE_BURST_BYTES),
   * so a file smaller than that, sent a few seconds after the backend started, is not slowed at all.
   */
  burstBytes?: number;
  /** A fresh folder (a route path) to deliver into. */
  base: string;
  /**
   * The longest file name the server side stores, in bytes. @default 255. s3rver keeps each object as a
   * file named `<key>._S3rver_metadata.json`, so its names are 22 bytes shorter (real S3 allows 1,024).
   */
  nameBytes?: number;
  /** Reads a delivered file from the server's side, not through the backend. */
  readRemote(remotePath: string): Promise<Buffer>;
  /**
   * Where a remote path is on this host's filesystem, for a server that stores files in one (not an object
   * store): lets a test put a folder or a FIFO under a name before the backend comes.
   */
  serverPath?(remotePath: string): string;
  /**
   * The server shows no FIFO or device to its clients (`rclone serve sftp` lists only files and folders),
   * so a backend cannot see one there: the FIFO case is not asked of it.
   */
  hidesSpecialFiles?: boolean;
  teardown(): Promise<void>;
}

export interface LocalArtifact {
  path: string;
  bytes: number;
  sha256: string;
  data: Buffer;
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * The conformance suite every backend passes: whole and verified delivery, no temporary names left,
 * no overwrite of a different file (replacement only when asked), names cut to 255 bytes, awkward names, large and empty files, refusal of a file that does not match its manifest,
 * stat/list/remove, and the bandwidth limit. Nothing of the backend's stays in the temporary folder (TMPDIR):
 * each test runs with TMPDIR set to an empty folder of its own, which must be empty again after it (a staging
 * folder, a key or config file, a control socket left there piles up on a machine that syncs for months),
 * and what the backend made there while open (a shared SSH connection's socket) is gone once it is closed.
 */
export function testBackend(name: string, setup: () => Promise<BackendUnderTest>): void {
  describe(`backend conformance: ${name}`, () => {
    let t: BackendUnderTest;
    let localDir: string;
    /** Holds the TMPDIR the backend was made under and one per test, all empty at first. */
    let tmpRoot: string;
    let setupTmp: string;
    let afterSetup: string[] = [];
    let testTmp: string | undefined;
    const savedTmp = process.env.TMPDIR;
    let closed = false;

    async function artifact(fileName: string, data: Buffer): Promise<LocalArtifact> {
      const path = join(localDir, `${randomBytes(4).toString('hex')}-${fileName}`);
      await writeFile(path, data);
      return { path, data, bytes: data.length, sha256: sha256(data) };
    }

    const request = (local: LocalArtifact, remotePath: string) => ({
      localPath: local.path,
      remotePath,
      bytes: local.bytes,
      sha256: local.sha256,
    });

    async function put(local: LocalArtifact, remotePath: string, backend = t.backend) {
      return backend.put(request(local, remotePath));
    }

    beforeAll(async () => {
      localDir = await mkdtemp(join(tmpdir(), 'imk-conformance-'));
      tmpRoot = await mkdtemp(join(tmpdir(), 'imk-conformance-tmp-'));
      setupTmp = join(tmpRoot, 'setup');
      await mkdir(setupTmp);
      // The test's servers may keep their own files there (made in setup, listed now); the backend may not.
      process.env.TMPDIR = setupTmp;
      try {
        t = await setup();
      } finally {
        afterSetup = await readdir(setupTmp);
      }
    });

    beforeEach(async () => {
      testTmp = await mkdtemp(join(tmpRoot, 'test-'));
      process.env.TMPDIR = testTmp;
    });

    afterEach(async () => {
      process.env.TMPDIR = setupTmp;
      // tsx's compile cache (tsx-<uid>), made by a helper process the test starts through tsx, is tsx's
      // own, shared by every run: not the backend's.
      const left = (testTmp === undefined ? [] : await readdir(testTmp)).filter(
        (entry) => !TSX_CACHE.test(entry),
      );
      testTmp = undefined;
      expect(left, `left in TMPDIR by the backend ${name}`).toEqual([]);
    });

    afterAll(async () => {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
      if (!closed) {
        await t?.backend.close();
        await t?.throttled.close();
      }
      await t?.teardown();
      await rm(localDir, { recursive: true, force: true });
      await rm(tmpRoot, { recursive: true, force: true });
    });

    it('delivers a file whole into a new nested folder, verified, with no temporary name left', async () => {
      const local = await artifact('song.m4a', randomBytes(300_000));
      const remote = posix.join(t.base, 'Artist', 'Album', 'Song.m4a');
      const result = await put(local, remote);
      expect(result.bytes).toBe(local.bytes);
      expect(result.verifiedBy).not.toBe('size');
      expect(sha256(await t.readRemote(remote))).toBe(local.sha256);
      expect(await t.backend.stat(remote)).toEqual({ bytes: local.bytes });
      expect(await t.backend.hash(remote)).toBe(local.sha256);
      expect(await t.backend.list(posix.join(t.base, 'Artist', 'Album'))).toEqual(['Song.m4a']);
    });

    it('never overwrites a different file: conflict, the file there kept; the same content is already there', async () => {
      const remote = posix.join(t.base, 'taken', 'track.m4a');
      const first = await artifact('first.m4a', randomBytes(40_000));
      await put(first, remote);
      // Another job's file under the same name, same size and different content, then a different size.
      for (const other of [randomBytes(40_000), randomBytes(41_000)]) {
        const second = await artifact('second.m4a', other);
        const error = await put(second, remote).catch((e: unknown) => e);
        expect(isImkError(error, 'CONFLICT')).toBe(true);
        expect(sha256(await t.readRemote(remote))).toBe(first.sha256);
      }
      const again = await put(first, remote);
      expect(again.alreadyThere).toBe(true);
      expect(sha256(await t.readRemote(remote))).toBe(first.sha256);
      expect(await t.backend.list(posix.join(t.base, 'taken'))).toEqual(['track.m4a']);
    });

    // What a user copying by hand, or another program, writes under the name after the backend's first look:
    // the move into place must still not replace it (a hard link, a rename the server refuses, a last look).
    it('keeps a file someone writes under the name while the copy is under way: a conflict, never replaced', async () => {
      if (!t.serverPath) return;
      const remote = posix.join(t.base, 'by-hand', 'Song.m4a');
      const folder = t.serverPath(posix.dirname(remote));
      const local = await artifact('by-hand.m4a', randomBytes((t.burstBytes ?? 0) + 1_500_000));
      let settled = false;
      const putting = put(local, remote, t.throttled).then(
        () => undefined,
        (error: unknown) => error,
      );
      void putting.finally(() => (settled = true));
      // The copy is under way once something of it (its temporary name) is in the folder.
      while (!settled && (await readdir(folder).catch(() => [])).length === 0)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(settled, 'the copy ended before anything of it showed in its folder').toBe(false);
      await writeFile(t.serverPath(remote), 'copied by hand');
      const error = await putting;
      expect(isImkError(error, 'CONFLICT'), String(error)).toBe(true);
      expect(await readFile(t.serverPath(remote), 'utf8')).toBe('copied by hand');
    });

    it('never writes into a folder or reads a FIFO that has the name: a conflict, the folder left as it was, nothing hangs', async () => {
      if (!t.serverPath) return;
      const folder = posix.join(t.base, 'occupied', 'track.m4a');
      await mkdir(t.serverPath(folder), { recursive: true });
      const pipe = posix.join(t.base, 'occupied', 'pipe.m4a');
      await promisify(execFile)('mkfifo', [t.serverPath(pipe)]);
      // 4,096 bytes: the size a folder reports on most filesystems, so a size check alone does not settle it.
      const attempts: [string, LocalArtifact][] = [[folder, await artifact('a.m4a', randomBytes(4_096))]];
      if (!t.hidesSpecialFiles)
        attempts.push(
          [pipe, await artifact('b.m4a', randomBytes(4_096))],
          // A FIFO's size is 0: an empty artifact "matches" it by size, and a hash of it never ends.
          [pipe, await artifact('c.m4a', Buffer.alloc(0))],
        );
      for (const [remote, local] of attempts) {
        const error = await withoutFifoWait(
          t.serverPath(pipe),
          `the put of ${remote} (${local.bytes} bytes)`,
          45_000,
          put(local, remote).then(
            (result) => result,
            (e: unknown) => e,
          ),
        );
        expect(isImkError(error, 'CONFLICT'), `${remote}: ${String(error)}`).toBe(true);
      }
      expect(await readdir(t.serverPath(folder))).toEqual([]);
      expect((await lstat(t.serverPath(pipe))).isFIFO()).toBe(true);
      // Its hash (imk sync verify, a numbered name looked at for this content) is refused, never waited for.
      for (const remote of t.hidesSpecialFiles ? [folder] : [folder, pipe]) {
        const hashed = await withoutFifoWait(
          t.serverPath(pipe),
          `the hash of ${remote}`,
          45_000,
          t.backend.hash(remote).then(
            (sha256) => `hashed: ${sha256}`,
            (e: unknown) => e,
          ),
        );
        expect(hashed, `hash of ${remote}`).toBeInstanceOf(Error);
      }
    }, 90_000);

    it('replaces an earlier copy only when asked to (conflict: replace)', async () => {
      const remote = posix.join(t.base, 'replace', 'track.flac');
      await put(await artifact('v1.flac', randomBytes(50_000)), remote);
      const second = await artifact('v2.flac', randomBytes(70_000));
      await t.backend.put({ ...request(second, remote), existing: 'replace' });
      expect(sha256(await t.readRemote(remote))).toBe(second.sha256);
      expect(await t.backend.list(posix.join(t.base, 'replace'))).toEqual(['track.flac']);
    });

    it('conflict: replace replaces a file, never a folder or a FIFO under the name: the same named conflict', async () => {
      if (!t.serverPath) return;
      const folder = posix.join(t.base, 'replace-occupied', 'track.m4a');
      await mkdir(t.serverPath(posix.join(folder, 'keep')), { recursive: true });
      const pipe = posix.join(t.base, 'replace-occupied', 'pipe.m4a');
      await promisify(execFile)('mkfifo', [t.serverPath(pipe)]);
      const targets = t.hidesSpecialFiles ? [folder] : [folder, pipe];
      for (const remote of targets) {
        const local = await artifact('r.m4a', randomBytes(4_096));
        const error = await withoutFifoWait(
          t.serverPath(pipe),
          `the put of ${remote} with conflict: replace`,
          30_000,
          t.backend.put({ ...request(local, remote), existing: 'replace' }).then(
            (result) => result,
            (e: unknown) => e,
          ),
        );
        expect(isImkError(error, 'CONFLICT'), `${remote}: ${String(error)}`).toBe(true);
        expect((error as Error).message, remote).toMatch(
          /already holds something that is not a regular file/,
        );
      }
      expect(await readdir(t.serverPath(folder))).toEqual(['keep']);
      expect((await lstat(t.serverPath(pipe))).isFIFO()).toBe(true);
    }, 60_000);

    it('delivers a 99-character CJK title cut to 255 bytes, variant suffix and extension kept', async () => {
      const max = t.nameBytes ?? 255;
      const title = `${'夜'.repeat(99)} (instrumental).m4a`;
      const name = posix.basename(numberedPath(title, 2, max));
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(max);
      expect(name.endsWith(' (instrumental) (2).m4a')).toBe(true);
      const local = await artifact('cjk.m4a', randomBytes(5_000));
      const fitted = fitName(title, max);
      expect(fitted.endsWith(' (instrumental).m4a')).toBe(true);
      const remote = posix.join(t.base, 'cjk', fitted);
      await put(local, remote);
      expect(sha256(await t.readRemote(remote))).toBe(local.sha256);
      await put(local, posix.join(t.base, 'cjk', name));
      expect((await t.backend.list(posix.join(t.base, 'cjk'))).sort()).toEqual(
        [posix.basename(remote), name].sort(),
      );
    });

    it('keeps awkward names intact: spaces, quotes, $, ;, unicode', async () => {
      const local = await artifact('odd.m4a', randomBytes(10_000));
      const folder = posix.join(t.base, `Sigur Rós; "Ágætis" $(byrjun)`);
      const remote = posix.join(folder, `It's $HOME & co — 東京 (no drum).m4a`);
      await put(local, remote);
      expect(sha256(await t.readRemote(remote))).toBe(local.sha256);
      expect(await t.backend.list(folder)).toEqual([posix.basename(remote)]);
    });

    it('sends a 12 MiB file intact (multipart where the backend has it)', async () => {
      const local = await artifact('big.wav', randomBytes(12 * 1024 * 1024));
      const remote = posix.join(t.base, 'big', 'big.wav');
      await put(local, remote);
      expect(sha256(await t.readRemote(remote))).toBe(local.sha256);
    });

    it('delivers an empty file', async () => {
      const local = await artifact('empty.txt', Buffer.alloc(0));
      const remote = posix.join(t.base, 'empty', 'empty.txt');
      await put(local, remote);
      expect(await t.backend.stat(remote)).toEqual({ bytes: 0 });
    });

    it('refuses a local file that does not match its manifest and leaves nothing under the final name', async () => {
      const local = await artifact('changed.m4a', randomBytes(20_000));
      const remote = posix.join(t.base, 'mismatch', 'changed.m4a');
      const error = await t.backend
        .put({
          localPath: local.path,
          remotePath: remote,
          bytes: local.bytes,
          sha256: sha256(randomBytes(8)),
        })
        .catch((e: unknown) => e);
      expect(isImkError(error, 'LOCAL_MISMATCH')).toBe(true);
      expect(await t.backend.stat(remote)).toBeUndefined();
      expect(
        (await t.backend.list(posix.join(t.base, 'mismatch'))).filter((n) => !n.startsWith('.imk-partial')),
      ).toEqual([]);
    });

    it('checks a file changed after its manifest was written, and trusts one that was not', async () => {
      // The manifest recorded this content's sha256; the file was rewritten (same size) a second later.
      const recorded = randomBytes(30_000);
      const local = await artifact('rewritten.m4a', randomBytes(30_000));
      const { ctimeMs } = await stat(local.path);
      const remote = posix.join(t.base, 'rewritten', 'rewritten.m4a');
      const error = await t.backend
        .put({ ...request(local, remote), sha256: sha256(recorded), recordedMs: ctimeMs - 1000 })
        .catch((e: unknown) => e);
      expect(isImkError(error, 'LOCAL_MISMATCH')).toBe(true);
      expect(await t.backend.stat(remote)).toBeUndefined();
      // Unchanged since its manifest: delivered and verified on the destination all the same.
      await t.backend.put({ ...request(local, remote), recordedMs: ctimeMs + 1000 });
      expect(await t.readRemote(remote)).toEqual(local.data);
    });

    it('reports absent files and folders as absent, and removes files', async () => {
      expect(await t.backend.stat(posix.join(t.base, 'nothing', 'here.m4a'))).toBeUndefined();
      expect(await t.backend.list(posix.join(t.base, 'no-such-folder'))).toEqual([]);
      const remote = posix.join(t.base, 'remove', 'gone.m4a');
      await put(await artifact('gone.m4a', randomBytes(1000)), remote);
      await t.backend.remove(remote);
      expect(await t.backend.stat(remote)).toBeUndefined();
      await t.backend.remove(remote);
    });

    it('reports a copy whose folder is now a file as absent (verify: missing), and removing it is no error', async () => {
      // Someone replaced the folder `Artist` by a file of that name: the copy inside it is gone.
      const folderNowFile = posix.join(t.base, 'was-a-folder', 'Artist');
      await put(await artifact('notes.txt', randomBytes(100)), folderNowFile);
      const copy = posix.join(folderNowFile, 'Song.m4a');
      expect(await t.backend.stat(copy)).toBeUndefined();
      await t.backend.remove(copy);
      expect(await t.backend.stat(folderNowFile)).toEqual({ bytes: 100 });
    });

    it('holds to the bandwidth limit (2 MiB beyond what it may send at once, at 1 MiB/s, take about 2 s)', async () => {
      const local = await artifact('slow.m4a', randomBytes((t.burstBytes ?? 0) + 2 * 1024 * 1024));
      // The same file unlimited, on this machine under its load of the moment: what the copy costs besides
      // the limit's waits (a few milliseconds on a quiet machine, seconds on a loaded one).
      let started = performance.now();
      await put(local, posix.join(t.base, 'slow', 'unlimited.m4a'));
      const unlimited = (performance.now() - started) / 1000;
      started = performance.now();
      await put(local, posix.join(t.base, 'slow', 'slow.m4a'), t.throttled);
      const seconds = (performance.now() - started) / 1000;
      // The limit holds: tools allow a burst of up to about a second, and a load only slows a copy down.
      expect(seconds).toBeGreaterThan(0.9);
      // And it is the limit set, not a far lower one: beyond what the copy costs unlimited, the limit's
      // waits are about 2 s (an upper bound on what a load adds, as it adds to both copies alike).
      expect(seconds - unlimited, `${seconds} s limited, ${unlimited} s unlimited`).toBeLessThan(8);
    });

    it('once closed, leaves nothing of its own in the TMPDIR it was made under', async () => {
      closed = true;
      await t.backend.close();
      await t.throttled.close();
      expect(
        (await readdir(setupTmp)).filter((entry) => !afterSetup.includes(entry) && !TSX_CACHE.test(entry)),
      ).toEqual([]);
    });
  });
}

/** What rclone's bandwidth limiter lets through at once after an idle spell: its token bucket's size. */
export const RCLONE_BURST_BYTES = 4 * 1024 * 1024;

/** Reads a file from the server's side of a loopback server, for readRemote. */
export const readServerFile = (path: string): Promise<Buffer> => readFile(path);
