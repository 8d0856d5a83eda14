// rsync over ssh with many files in one pass: one ssh login for the whole pass, however many files, and as
// few rsync runs as the files allow. The destination check (no symlink below the remote root may lead out of
// it) runs for every file, one command per batch in the one shell kept open on the server
// (util/remote-shell.ts), and every rsync run rides the same connection (util/ssh-master.ts). Counted with
// a wrapper as the ssh program, which logs each ssh started.
import { chmod, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReceiptStore, createSyncEngine } from '../src/index.ts';
import { writeJob } from './fixtures.ts';
import { tempDir, testLogger } from './helpers.ts';
import { sshdSettings, startSshd, type SshdServer } from './servers/index.ts';

const FILES = 100;

let sshd: SshdServer;
let dir: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  sshd = await startSshd();
  dir = await tempDir('imk-ssh-count-');
});
afterAll(async () => {
  await dir?.remove();
  await sshd?.stop();
});

describe('rsync over ssh: ssh connections per pass', () => {
  it(`delivers ${FILES} files over one ssh login, and still checks every destination for links out`, async () => {
    const log = join(dir.path, 'ssh-calls.log');
    const wrapper = join(dir.path, 'ssh-wrapper.sh');
    await writeFile(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec ssh "$@"\n`);
    await chmod(wrapper, 0o755);
    for (let i = 0; i < FILES; i++)
      await writeJob(join(dir.path, 'outputs'), {
        jobId: `many${i}`,
        title: `Song ${i}`,
        artifacts: [{ path: 'files/audio/x.m4a', size: 300 }],
      });
    const dest = join(sshd.dataDir, 'many');
    const outside = join(sshd.dataDir, 'outside');
    await mkdir(dest, { recursive: true });
    await mkdir(outside, { recursive: true });
    // One song's folder on the server is a link out of the destination: that file alone is refused.
    await symlink(outside, join(dest, 'Song 7'));

    const receipts = ReceiptStore.open({ file: join(dir.path, 'state', 'nas-sync.sqlite') })!;
    try {
      const engine = createSyncEngine({
        outputsDir: join(dir.path, 'outputs'),
        receipts,
        remoteRoots: { audio: dest },
        backends: {
          nas: { ...sshdSettings(sshd, 'rsync'), sshBinary: wrapper },
        },
        routes: [
          {
            name: 'audio',
            match: { kind: 'audio' },
            to: '${remoteRoots.audio}/{title}/{variant}.{ext}',
            backend: 'nas',
          },
        ],
        logger: testLogger(),
      });
      const result = await engine.runPass();
      expect(result).toMatchObject({ delivered: FILES - 1, failed: 1 });
      const refused = result.outcomes.find((o) => o.errorCode !== undefined);
      expect(refused).toMatchObject({ errorCode: 'DESTINATION_UNSAFE', final: true });
      expect(refused?.error).toContain(`${join(dest, 'Song 7')} is a symlink leading to ${outside}`);
    } finally {
      receipts.close();
    }

    const calls = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
    // One login: the shared connection. Everything else rides it (ControlMaster=no), or closes it.
    expect(calls.filter((c) => c.includes('ControlMaster=yes'))).toHaveLength(1);
    for (const call of calls.filter((c) => !c.includes('ControlMaster=yes')))
      expect(call).toMatch(/ControlMaster=no|-O exit/);
    // The checks, hashes and renames of the whole pass go through one remote shell, not one ssh each.
    expect(calls.filter((c) => c.endsWith(' exec sh'))).toHaveLength(1);
    expect(calls.filter((c) => !/ rsync --server /.test(c)).length).toBeLessThanOrEqual(3);
    // Files per rsync run: the files that became due together ride as few runs as a run carries (64 files).
    // Before: 99 files took 77 rsync runs (each file waited in the engine for one of 4 transfer slots, and
    // the link check of each file, one server command each, made them trickle into the runs).
    const runs = calls.filter((c) => / rsync --server /.test(c)).length;
    expect(runs, `${FILES - 1} files in ${runs} rsync runs`).toBeLessThanOrEqual(Math.ceil(FILES / 64) + 1);
  }, 300_000);

  it('leaves nothing in the temporary folder during a pass (the ssh log, the staged links) nor after it', async () => {
    const tmp = join(dir.path, 'tmp');
    await mkdir(tmp);
    await writeJob(join(dir.path, 'outputs-tmp'), {
      jobId: 'tmpclean',
      title: 'Clean',
      artifacts: [{ path: 'files/audio/x.m4a', size: 300 }],
    });
    const dest = join(sshd.dataDir, 'tmpclean');
    await mkdir(dest, { recursive: true });
    // What was in the temporary folder while the pass ran: the ssh wrapper lists it at each ssh started
    // after the shared connection (whose own start writes its errors to a log there, read if it fails).
    const seen = join(dir.path, 'tmp-seen.log');
    const wrapper = join(dir.path, 'ssh-lister.sh');
    await writeFile(
      wrapper,
      `#!/bin/sh\ncase "$*" in *ControlMaster=yes*) ;; *) ls -A '${tmp}' >> '${seen}' ;; esac\nexec ssh "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    const receipts = ReceiptStore.open({ file: join(dir.path, 'state', 'tmpclean.sqlite') })!;
    const before = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const engine = createSyncEngine({
        outputsDir: join(dir.path, 'outputs-tmp'),
        receipts,
        remoteRoots: { audio: dest },
        backends: { nas: { ...sshdSettings(sshd, 'rsync'), sshBinary: wrapper } },
        routes: [
          {
            name: 'audio',
            match: { kind: 'audio' },
            to: '${remoteRoots.audio}/{title}/{variant}.{ext}',
            backend: 'nas',
          },
        ],
        logger: testLogger(),
      });
      expect(await engine.runPass()).toMatchObject({ delivered: 1, failed: 0 });
      // The shared connection's socket is there while it is open; its log is not kept once it started
      // (before, it stayed until the pass ended, and for good when the process was killed mid-pass).
      const during = (await readFile(seen, 'utf8')).split('\n').filter(Boolean);
      expect(during.filter((name) => name.endsWith('.log'))).toEqual([]);
      expect(await readdir(tmp)).toEqual([]);
      await engine.close();
      expect(await readdir(tmp)).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
      receipts.close();
    }
  }, 120_000);
});
