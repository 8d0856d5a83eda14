// Ctrl-C at the terminal sends SIGINT to every process of the foreground process group: `imk up` and the
// rsync (and ssh) it runs for a delivery. nas-sync stopped at once, and the rsync under it died by that same
// SIGINT: the delivery was recorded as failed (ABORTED, an attempt counted, a backoff before the next try).
// The tools now run in a process group of their own (@imk/tools, tool-group.ts) and a stop is nas-sync's to
// decide: no new transfer starts, the ones under way get gracePeriodSec to finish; one the grace does not see
// finish is stopped and sent again at the next pass, with no receipt written and no attempt counted.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { exitOf, within } from '@imk/fs-safe/testing';
import { ReceiptStore, receiptsFile, type Receipt } from '@imk/sync';
import { startSshd, writeJob, type SshdServer } from '@imk/sync/testing';
import { ctrlC, imkInOwnGroup, toolsOf, until } from '../../../packages/cli/test/ctrl-c-kit.ts';
import { IMK } from '../../../packages/cli/test/imk-bin.ts';
import { tempRoot, writeConfig } from './helpers.ts';

let t: Awaited<ReturnType<typeof tempRoot>>;
beforeEach(async () => {
  t = await tempRoot();
});
afterEach(async () => {
  await t.remove();
});

function receipts(root: string): Receipt[] {
  const store = ReceiptStore.open({ file: receiptsFile(root), readonly: true });
  if (!store) return [];
  try {
    return [...store.all().values()];
  } finally {
    store.close();
  }
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** nas-sync.yaml delivering audio through `backend` (its YAML lines, indented under its name). */
const config = (backend: string, extra = '') => `nasSync:
  enabled: true
  pollIntervalSec: 0.2${extra}
  remoteRoots:
    audio: /Music
  backends:
    nas:
${backend}
  routes:
    - match: { kind: audio }
      to: "\${remoteRoots.audio}/{artist}/{title} ({variant}).{ext}"
      backend: nas
`;

/**
 * `imk up --only nas-sync` once its rsync is sending: the rsync processes it runs (children or further down),
 * the same ones at two looks 300 ms apart (not a short rsync of a check before the copy).
 */
async function upWhileRsyncSends(
  root: string,
): Promise<{ run: ReturnType<typeof imkInOwnGroup>; rsync: string[] }> {
  const run = imkInOwnGroup(['up', '--only', 'nas-sync'], root);
  let rsync: string[] = [];
  let seen = '';
  let since = 0;
  const sending = () => {
    rsync = toolsOf(run.pid!, ['rsync']);
    const now = rsync.join(' ');
    if (now !== seen) [seen, since] = [now, Date.now()];
    return rsync.length > 0 && Date.now() - since >= 300;
  };
  await within(
    until(() => sending() || run.exitCode !== null, 20),
    60_000,
    'nas-sync to run rsync',
  );
  expect(rsync.length, 'imk ended before it ran rsync').toBeGreaterThan(0);
  return { run, rsync };
}

describe('Ctrl-C on imk up while nas-sync delivers', () => {
  let sshd: SshdServer;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it('an rsync to a server over ssh finishes within the grace period: delivered, no failed attempt', async () => {
    const nasRoot = join(sshd.dataDir, `ctrl-c-${Date.now()}`);
    // 1 MiB at 256 KiB/s: about 4 s of sending.
    await writeConfig(
      t.root,
      config(`      type: rsync
      host: ${sshd.host}
      port: ${sshd.port}
      username: root
      privateKeyFile: ${sshd.clientKey}
      knownHostsFile: ${sshd.knownHosts}
      root: ${nasRoot}
      bandwidthLimit: 256K`),
    );
    const sent = await writeJob(t.outputs, {
      jobId: 'one',
      artifacts: [{ path: 'files/audio/a.m4a', size: 1024 * 1024 }],
    });
    const { run } = await upWhileRsyncSends(t.root);
    ctrlC(run.pid!);
    const result = await exitOf(run, 'imk up after Ctrl-C', 60_000);
    const said = String(result.all);
    expect(
      receipts(t.root).map((r) => [r.status, r.attempts, r.errorCode ?? '']),
      said,
    ).toEqual([['delivered', 1, '']]);
    expect(said).toContain('stopping: no new transfers; those under way may finish');
    const delivered = await readFile(join(nasRoot, 'Music', 'Artist', 'Title one (instrumental).m4a'));
    expect(sha256(delivered)).toBe(sha256(sent.get('files/audio/a.m4a')!));
    expect(result.exitCode, said).toBe(0);
  }, 120_000);
});

describe('Ctrl-C on imk up when the grace period ends before the delivery', () => {
  it('the transfer is stopped, recorded nowhere (no attempt spent), and sent at the next pass', async () => {
    // An rsync to a folder on this host (run by nas-sync's helper process): 1 MiB at 64 KiB/s, 16 s.
    await writeConfig(
      t.root,
      config(
        `      type: rsync
      root: ${t.nas}
      bandwidthLimit: 64K`,
        '\n  gracePeriodSec: 1',
      ),
    );
    const sent = await writeJob(t.outputs, {
      jobId: 'two',
      artifacts: [{ path: 'files/audio/a.m4a', size: 1024 * 1024 }],
    });
    const { run, rsync } = await upWhileRsyncSends(t.root);
    ctrlC(run.pid!);
    const result = await exitOf(run, 'imk up after Ctrl-C', 60_000);
    const said = String(result.all);
    expect(said).toContain('stopped by the shutdown before it finished; it is sent again at the next pass');
    expect(receipts(t.root), said).toEqual([]);
    expect(result.exitCode, said).toBe(0);
    // Nothing of it is left running.
    const left = () => rsync.filter((pid) => existsSync(`/proc/${pid}`));
    await within(
      until(() => left().length === 0, 20),
      10_000,
      'the rsync of the stopped transfer to end',
      () =>
        left()
          .map((pid) => {
            try {
              return readFileSync(`/proc/${pid}/stat`, 'utf8');
            } catch {
              return pid;
            }
          })
          .join('\n'),
    );

    await writeConfig(t.root, config(`      type: rsync\n      root: ${t.nas}`));
    const again = await execa(IMK, ['sync', '--once', '--root', t.root], { reject: false, all: true });
    expect(again.exitCode, String(again.all)).toBe(0);
    expect(receipts(t.root).map((r) => [r.status, r.attempts])).toEqual([['delivered', 1]]);
    const delivered = await readFile(join(t.nas, 'Music', 'Artist', 'Title two (instrumental).m4a'));
    expect(sha256(delivered)).toBe(sha256(sent.get('files/audio/a.m4a')!));
  }, 120_000);
});
