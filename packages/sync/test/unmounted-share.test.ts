// A NAS share listed in /etc/fstab but not mounted is an empty folder on this host's own disk: a local (or
// rsync-to-a-folder) route used to write into it, filling the root disk with files that vanish from view
// once the share is mounted again. Tests cannot mount, so the fstab and mountinfo nas-sync reads are
// files written here (IMK_SYNC_FSTAB, IMK_SYNC_MOUNTINFO), in the kernel's own formats.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReceiptStore, RouteSchema, createSyncEngine, type BackendOptions } from '../src/index.ts';
import { createShareCheck } from '../src/util/mounts.ts';
import { writeJob } from './fixtures.ts';
import { tempDir, testLogger } from './helpers.ts';

let dir: { path: string; remove(): Promise<void> };
let receipts: ReceiptStore;
let share: string;
let fstab: string;
let mountinfo: string;

// The kernel writes a space in a mount point as \040, in both tables.
const octal = (path: string): string => path.replace(/ /g, '\\040');

async function writeTables(mounted: boolean): Promise<void> {
  await writeFile(
    fstab,
    [
      '# <file system> <mount point> <type> <options> <dump> <pass>',
      'UUID=1234 / ext4 errors=remount-ro 0 1',
      `//nas.local/music ${octal(share)} cifs credentials=/etc/nas,noauto 0 0`,
      '/swapfile none swap sw 0 0',
      '',
    ].join('\n'),
  );
  const real = await readFile('/proc/self/mountinfo', 'utf8');
  await writeFile(
    mountinfo,
    real +
      (mounted ? `900 26 0:99 / ${octal(share)} rw,relatime shared:500 - cifs //nas.local/music rw\n` : ''),
  );
}

beforeEach(async () => {
  dir = await tempDir('imk-unmounted-');
  share = join(dir.path, 'mnt', 'my nas');
  fstab = join(dir.path, 'fstab');
  mountinfo = join(dir.path, 'mountinfo');
  // The mount point exists, empty, as it does on a host whose share is not mounted.
  await mkdir(share, { recursive: true });
  receipts = ReceiptStore.open({ file: join(dir.path, 'state', 'nas-sync.sqlite') })!;
});
afterEach(async () => {
  receipts.close();
  await dir.remove();
});

const BACKENDS: [string, () => Promise<BackendOptions>][] = [
  ['local', () => Promise.resolve({ type: 'local', fsync: false })],
  ['rsync to a folder here', () => Promise.resolve({ type: 'rsync' })],
  [
    'rclone to its `local` remote type (a folder on this host)',
    async () => {
      const configFile = join(dir.path, 'rclone.conf');
      await writeFile(configFile, '[imklocal]\ntype = local\n');
      return { type: 'rclone', remote: 'imklocal:', configFile };
    },
  ],
];

describe('the mount tables', () => {
  it('are read once per check (one per pass), so a share mounted later is seen by the next one', async () => {
    await writeTables(false);
    const tables = { fstab, mountinfo };
    const pass1 = createShareCheck(tables);
    const what = { backend: 'nas' };
    await expect(pass1.assertMounted(join(share, 'a.m4a'), what)).rejects.toThrow(/not mounted/);
    await writeTables(true);
    // The same pass does not read the tables again for its next file…
    await expect(pass1.assertMounted(join(share, 'b.m4a'), what)).rejects.toThrow(/not mounted/);
    // …the next pass does.
    await expect(createShareCheck(tables).assertMounted(join(share, 'b.m4a'), what)).resolves.toBeUndefined();
  });
});

describe.each(BACKENDS)('%s: a route onto an fstab share that is not mounted', (_label, makeBackend) => {
  it('is refused naming the route and the mount point, writes nothing there, and delivers once it is mounted', async () => {
    const backend = await makeBackend();
    await writeJob(join(dir.path, 'outputs'), { jobId: 'job1', artifacts: [{ path: 'files/audio/a.m4a' }] });
    await writeTables(false);
    let clock = Date.parse('2026-12-05T00:00:00Z');
    const engine = () =>
      createSyncEngine({
        outputsDir: join(dir.path, 'outputs'),
        receipts,
        remoteRoots: { nas: join(share, 'Music'), here: join(dir.path, 'elsewhere') },
        backends: { nas: backend },
        routes: [
          {
            name: 'to-the-nas',
            kind: 'audio',
            to: '${remoteRoots.nas}/{artist}',
            backend: 'nas',
            continue: true,
          },
          // Under no fstab entry: written as before (a first start onto a fresh folder keeps working).
          { name: 'here', kind: 'audio', to: '${remoteRoots.here}', backend: 'nas' },
        ].map((route) => RouteSchema.parse(route)),
        logger: testLogger(),
        env: { ...process.env, IMK_SYNC_FSTAB: fstab, IMK_SYNC_MOUNTINFO: mountinfo },
        retry: { attemptsPerPass: 1, initialDelaySec: 1, maxDelaySec: 1 },
        now: () => clock,
      });

    // One engine for both passes, as the service runs: each pass reads the mount tables again.
    const sync = engine();
    const first = await sync.runPass();
    expect(first, JSON.stringify(first.outcomes.map((o) => o.error))).toMatchObject({
      delivered: 1,
      failed: 1,
    });
    const refused = first.outcomes.find((o) => o.status === 'failed');
    expect(refused).toMatchObject({ errorCode: 'SHARE_NOT_MOUNTED', final: false });
    expect(refused?.error).toContain('route "to-the-nas"');
    expect(refused?.error).toContain(`${share} is listed in ${fstab} but not mounted`);
    // Nothing landed on this host's disk under the empty mount point; the other route delivered.
    expect(await readdir(share)).toEqual([]);
    expect(await readdir(join(dir.path, 'elsewhere'))).toEqual(['a.m4a']);

    // Mounted (a fresh, empty share): delivered at the next try.
    await writeTables(true);
    clock += 5_000;
    const second = await sync.runPass();
    expect(second).toMatchObject({ delivered: 1, failed: 0 });
    expect(await readdir(join(share, 'Music', 'Artist'))).toEqual(['a.m4a']);
  }, 30_000);
});
