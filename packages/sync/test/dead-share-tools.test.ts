// rsync to a folder on this host, and rclone to a remote on this host, when that folder is a mounted share:
// the folder look of a pass (places.ts) may be answered while the share still works, and the share stop
// answering only as the transfer begins. Both did their checks (and rsync the check of its copies and their
// rename, rclone its look at what stands at a path) with this process's own file-system calls, and neither
// the rsync run nor rclone's rc calls had a bound: the first call on the silent share never returned, so the
// pass hung. That work now runs in the local backend's helper process with its no-progress watchdog (the
// rsync run's output is its sign of progress), and rclone's rc calls are watched through rclone's own byte
// count (core/stats): the share's destination fails UNREACHABLE for the pass, naming its folder, and the other
// destination is delivered. A real sshfs mount of a real sshd, stopped with SIGSTOP as the put begins (the
// test's backend says when), as rsync starts (an rsyncBinary that stops it first), or once rclone's copy is
// under way (its temporary file shows up in the server's folder).
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { execa } from 'execa';
import {
  createBackend,
  createRsyncBackend,
  createSyncEngine,
  type SyncBackend,
  type SyncEngineOptions,
} from '../src/index.ts';
import {
  dir,
  sshd,
  share,
  receipts,
  signalServer,
  serverPids,
  route,
  useDeadShare,
} from './dead-share-fixture.ts';
import { audioJob, writeJob } from './fixtures.ts';
import { capturingLogger, testLogger } from './helpers.ts';

useDeadShare('imk-dead-share-rsync-');

/**
 * An rsync program that, while `flag` exists, removes it and stops the share's server before it runs rsync:
 * the share stops answering after every check of the put, as the copy begins.
 */
async function stoppingRsync(flag: string): Promise<string> {
  const script = join(dir.path, 'stopping-rsync');
  const pids = (await serverPids()).join(' ');
  await writeFile(
    script,
    `#!/bin/sh\nif [ -e '${flag}' ]; then rm -f '${flag}'; kill -STOP ${pids}; fi\nexec rsync "$@"\n`,
  );
  await chmod(script, 0o755);
  return script;
}

const cases = [
  { tool: 'rsync', when: 'as the put begins (its checks at the destination)', stopAt: 'put' },
  { tool: 'rsync', when: 'as rsync starts (its copy to the destination)', stopAt: 'rsync' },
  { tool: 'rclone', when: 'as the put begins (its checks at the destination)', stopAt: 'put' },
  { tool: 'rclone', when: 'while rclone copies (an rc call under way)', stopAt: 'copy' },
] as const;

/** Resolves once a temporary copy (`*.imk-tmp*`) shows up in `folder` (the server's own, not the mount). */
async function tempAppears(folder: string, stop: AbortSignal): Promise<boolean> {
  while (!stop.aborted) {
    const names = await readdir(folder).catch(() => [] as string[]);
    if (names.some((name) => name.includes('.imk-tmp'))) return true;
    await sleep(10);
  }
  return false;
}

describe('a pass with rsync or rclone to a share here that stops answering after its folder look', () => {
  for (const { tool, when, stopAt } of cases)
    it(`${tool}, ${when}: fails that destination within the bound, naming its folder, and delivers to the other`, async () => {
      const name = `${tool}-${stopAt}`;
      const outputs = join(dir.path, name, 'outputs');
      const live = join(dir.path, name, 'live');
      const music = join(share.path, name, 'Music');
      const flag = join(dir.path, name, 'stop-at-rsync');
      const configFile = join(dir.path, 'rclone.conf');
      writeFileSync(configFile, '[imklocal]\ntype = local\n');
      const { logger, lines } = capturingLogger();
      let stopAtPut = false;
      let clock = Date.now();
      const options: SyncEngineOptions = {
        outputsDir: outputs,
        receipts,
        remoteRoots: {},
        backends: {
          live: { type: 'local', fsync: false },
          // rclone's copy takes a few seconds (4 MB at 1 MiB/s): time to stop the server while it runs.
          nas:
            tool === 'rsync'
              ? { type: 'rsync', rsyncBinary: await stoppingRsync(flag) }
              : { type: 'rclone', remote: 'imklocal:', configFile, bandwidthLimit: '1M' },
        },
        routes: [route('live', 'instrumental', live), route('nas', 'no_drums', music)],
        logger,
        retry: { attemptsPerPass: 1, initialDelaySec: 60, maxDelaySec: 600 },
        shareTimeoutSec: 3,
        now: () => clock,
        // The nas backend's put stops the share's server first: after the pass's look at its folder.
        createBackend: (backendOptions, context): SyncBackend => {
          const backend = createBackend(backendOptions, context);
          if (context.name !== 'nas') return backend;
          return {
            ...backend,
            put: async (request) => {
              if (stopAtPut) {
                stopAtPut = false;
                await signalServer('SIGSTOP');
              }
              return backend.put(request);
            },
          };
        },
      };
      await writeJob(outputs, { ...audioJob('first', ['instrumental', 'no_drums']), title: 'First' });
      const engine = createSyncEngine(options);
      try {
        expect(await engine.runPass()).toMatchObject({ delivered: 2, failed: 0 });
        expect(await readdir(music)).toEqual(['First (no_drums).m4a']);
        await writeJob(outputs, {
          ...audioJob('second', ['instrumental', 'no_drums'], stopAt === 'copy' ? 4_000_000 : 1000),
          title: 'Second',
        });
        if (stopAt === 'put') stopAtPut = true;
        if (stopAt === 'rsync') await writeFile(flag, '');
        const copying = new AbortController();
        const stopped =
          stopAt === 'copy'
            ? tempAppears(join(sshd.dataDir, 'share', name, 'Music'), copying.signal).then(async (seen) => {
                if (seen) await signalServer('SIGSTOP');
                return seen;
              })
            : undefined;
        const started = performance.now();
        const pass = await Promise.race([engine.runPass(), sleep(60_000).then(() => 'hung' as const)]);
        copying.abort();
        if (stopAt === 'copy') expect(await stopped, 'the server was stopped during the copy').toBe(true);
        // Before, the first file-system call (or the rsync run) on the silent share never returned: the pass hung.
        expect(pass, 'the pass hung on the transfer to the share that stopped answering').not.toBe('hung');
        if (stopAt === 'put') expect(stopAtPut, 'the put that stops the server ran').toBe(false);
        if (stopAt === 'rsync')
          await expect(readFile(flag), 'the rsync that stops the server ran').rejects.toMatchObject({
            code: 'ENOENT',
          });
        // Not timed from above (a loaded machine can take long over the rest of the work): what ended the
        // wait is the share's timer of 3 s, as the message below names it; and it did wait that long.
        expect(performance.now() - started).toBeGreaterThanOrEqual(3000);
        expect(pass).toMatchObject({ delivered: 1, failed: 1, failedFinal: 0 });
        expect((await readdir(live)).sort()).toEqual([
          'First (instrumental).m4a',
          'Second (instrumental).m4a',
        ]);
        const nasSecond = [...receipts.all().values()].find(
          (r) => r.backend === 'nas' && r.jobId === 'second' && r.remotePath.startsWith(music),
        );
        expect(nasSecond).toMatchObject({ status: 'failed', errorCode: 'UNREACHABLE' });
        expect(nasSecond?.errorMessage).toContain(`destination nas: ${music} made no progress for 3 s`);
        expect(nasSecond?.errorMessage).toMatch(/Check that the share's server is up/);
        expect(
          lines().some((line) => String(line.msg).startsWith('destination unreachable, will retry later')),
        ).toBe(true);

        // Once the server answers again, a later pass delivers the file and leaves no temporary copy.
        await signalServer('SIGCONT');
        let delivered = false;
        for (let tries = 0; tries < 30 && !delivered; tries++) {
          clock += 3_600_000; // past the failed transfer's backoff
          // The helper given up on ends once the share answers; until then the destination still fails fast.
          delivered = (await engine.runPass()).delivered === 1;
          if (!delivered) await sleep(200);
        }
        expect(delivered).toBe(true);
        expect((await readdir(music)).sort()).toEqual(['First (no_drums).m4a', 'Second (no_drums).m4a']);
      } finally {
        await signalServer('SIGCONT').catch(() => undefined);
        await engine.close();
      }
    }, 180_000);
});

// The watch must not take a slow copy for a stopped share: a local rsync run is watched by its output, which
// nas-sync asks for and which an extra -q in the backend's settings would otherwise silence.
describe('rsync to a folder here, copying longer than shareTimeoutSec', () => {
  it('delivers: its progress output keeps the watch from giving up, also with -q in extraArgs', async () => {
    const root = join(dir.path, 'slow-rsync');
    await mkdir(root, { recursive: true });
    const data = randomBytes(1_000_000);
    const localPath = join(dir.path, 'slow.m4a');
    await writeFile(localPath, data);
    // 512 KiB/s over two runs: 256 KiB/s for this one, about 4 s for the file, with a 1-s bound.
    const backend = createRsyncBackend(
      { type: 'rsync', root, bandwidthLimit: '512K', extraArgs: ['-q'] },
      { name: 'slow', logger: testLogger(), shareTimeoutMs: 1000 },
    );
    try {
      const started = performance.now();
      await expect(
        backend.put({
          localPath,
          bytes: data.length,
          sha256: createHash('sha256').update(data).digest('hex'),
          remotePath: '/Music/slow.m4a',
        }),
      ).resolves.toMatchObject({ bytes: data.length });
      expect(performance.now() - started, 'the copy took longer than the bound').toBeGreaterThan(2000);
      expect(await readFile(join(root, 'Music', 'slow.m4a'))).toEqual(data);
    } finally {
      await backend.close();
    }
  }, 60_000);
});

// rclone's first look at a remote (operations/fsinfo: what it can do, whether it is a folder here) was not
// watched: only once rclone had said the remote is here were its calls watched. A remote whose root is on a
// share that stopped answering (a `local` remote of a folder on the share), or an sftp server that stopped
// answering, never answers it: the pass hung there (in its folder look, before any transfer). It is watched
// from the start now, and bounded by shareTimeoutSec (it moves no byte): UNREACHABLE for that destination this
// pass, the other destination delivered.
describe("rclone's first look at a remote that does not answer", () => {
  const remotes = [
    { kind: 'a local remote whose root is on the share', remote: 'deadlocal' },
    { kind: 'an sftp remote whose server is stopped', remote: 'deadsftp' },
  ] as const;
  for (const { kind, remote } of remotes)
    it(`${kind}: that destination fails UNREACHABLE within the bound, the other is delivered`, async () => {
      const name = `fsinfo-${remote}`;
      const outputs = join(dir.path, name, 'outputs');
      const live = join(dir.path, name, 'live');
      // Never looked at before: no cache of the mount answers for it.
      const onShare = join(share.path, name);
      const configFile = join(dir.path, `${name}.conf`);
      const user = (await execa('id', ['-un'])).stdout.trim();
      writeFileSync(
        configFile,
        [
          '[deadlocal]',
          'type = local',
          '',
          '[deadsftp]',
          'type = sftp',
          `host = ${sshd.host}`,
          `port = ${sshd.port}`,
          `user = ${user}`,
          `key_file = ${sshd.clientKey}`,
          `known_hosts_file = ${sshd.knownHosts}`,
          '',
        ].join('\n'),
      );
      // The local remote's root is the share's folder (rclone looks at it first); the sftp remote's is the server's.
      const rcloneRemote = remote === 'deadlocal' ? `deadlocal:${onShare}` : 'deadsftp:';
      const engine = createSyncEngine({
        outputsDir: outputs,
        receipts,
        remoteRoots: {},
        backends: {
          live: { type: 'local', fsync: false },
          nas: { type: 'rclone', remote: rcloneRemote, configFile },
        },
        routes: [
          route('live', 'instrumental', live),
          route('nas', 'no_drums', remote === 'deadsftp' ? join(sshd.dataDir, 'share', name) : '/Music'),
        ],
        logger: testLogger(),
        retry: { attemptsPerPass: 1, initialDelaySec: 60, maxDelaySec: 600 },
        shareTimeoutSec: 3,
      });
      await writeJob(outputs, { ...audioJob(name, ['instrumental', 'no_drums']), title: 'One' });
      await signalServer('SIGSTOP');
      try {
        const started = performance.now();
        const pass = await Promise.race([
          engine.runPass(),
          sleep(60_000).then(() => 'still running after 60 s' as const),
        ]);
        // Before, rclone's fsinfo on the silent remote never answered (or, over sftp, not for a minute).
        expect(pass, 'the pass on a remote that does not answer').not.toBe('still running after 60 s');
        // Not timed from above (a loaded machine can take long over the rest of the work): what ended the
        // wait is the share's timer of 3 s, as the message below names it; and it did wait that long.
        expect(performance.now() - started).toBeGreaterThanOrEqual(3000);
        expect(pass).toMatchObject({ delivered: 1, failed: 1, failedFinal: 0 });
        expect(await readdir(live)).toEqual(['One (instrumental).m4a']);
        const nas = [...receipts.all().values()].find((r) => r.backend === 'nas' && r.jobId === name);
        expect(nas).toMatchObject({ status: 'failed', errorCode: 'UNREACHABLE' });
        expect(nas?.errorMessage).toContain(`destination nas: ${rcloneRemote} made no progress for 3 s`);
      } finally {
        await signalServer('SIGCONT');
        await engine.close();
      }
    }, 120_000);
});
