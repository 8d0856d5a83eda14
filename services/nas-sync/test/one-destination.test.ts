// One physical folder named by two backends (the same NAS folder spelt two ways: through a symlink, with
// `./`, through a bind mount; `local`, `rsync` and `rclone` with a local remote) is one destination. It used to
// be two to the plan: under `conflict: replace` a copy through one backend overwrote another's delivered copy
// and that copy's receipt stayed `delivered` (imk sync status said so; the file was another song), and under
// `rename` a copy numbered aside from another backend's file was said to be beside "a file no receipt wrote".
// Now every folder has one key (places.ts: device and inode here, server and path elsewhere) through the
// plan, the transfers, the receipts and the status. Real backends: local, rsync and rclone to this host.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeJob } from '@imk/sync/testing';
import { getSyncStatus, runNasSyncOnce } from '../src/index.ts';
import { capturingLogger, tempRoot, writeConfig } from './helpers.ts';

let t: Awaited<ReturnType<typeof tempRoot>>;
const mounted: string[] = [];
beforeEach(async () => {
  t = await tempRoot();
  await mkdir(t.nas);
});
afterEach(async () => {
  for (const point of mounted.splice(0)) await execa('umount', [point]);
  await t.remove();
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A song of one variant: the same artist and title as every other, other content. */
async function song(jobId: string, variant: string): Promise<Buffer> {
  const files = await writeJob(t.outputs, {
    jobId,
    artist: 'Artist',
    title: 'Song',
    artifacts: [{ path: `files/${variant}.m4a`, variant }],
  });
  return files.get(`files/${variant}.m4a`)!;
}

/** Routes: each variant to its own backend, all to `{artist}/{title}.{ext}`. */
function config(conflict: string, backends: Record<string, string>): string {
  const routes = Object.entries(backends).map(
    ([variant], i) =>
      `    - match: { kind: audio, variant: ${variant} }\n      to: "{artist}/{title}.{ext}"\n      backend: b${i}\n`,
  );
  const defs = Object.values(backends).map((body, i) => `    b${i}:\n${body}`);
  return `nasSync:\n  enabled: true\n  conflict: ${conflict}\n  backends:\n${defs.join('')}  routes:\n${routes.join('')}`;
}

const once = async () => {
  const result = await runNasSyncOnce({ root: t.root, logger: capturingLogger().logger });
  if (result.state !== 'ran') throw new Error(`nas-sync did not run: ${result.state}`);
  return result.summary;
};
const status = () => getSyncStatus({ root: t.root, logger: capturingLogger().logger });
const rowOf = async (jobId: string) => (await status()).rows.find((row) => row.job_id === jobId);

describe('one folder through two backends', () => {
  it('conflict: replace through rclone over the local backend’s copy marks that copy replaced; status says so', async () => {
    const link = join(t.root, 'nas-link');
    await symlink(t.nas, link);
    const rcloneConfig = join(t.root, 'rclone.conf');
    await writeFile(rcloneConfig, '[imklocal]\ntype = local\n');
    await writeConfig(
      t.root,
      config('replace', {
        instrumental: `      type: local\n      root: ${t.nas}\n      fsync: false\n`,
        no_drums: `      type: rclone\n      remote: "imklocal:${link}/"\n      configFile: ${rcloneConfig}\n`,
      }),
    );
    await song('job1', 'instrumental');
    expect(await once()).toMatchObject({ delivered: 1, failed: 0 });
    const second = await song('job2', 'no_drums');
    expect(await once()).toMatchObject({ delivered: 1, failed: 0 });

    // One file, job2's (replace was asked for), and nothing beside it.
    expect(await readdir(join(t.nas, 'Artist'))).toEqual(['Song.m4a']);
    expect(sha256(await readFile(join(t.nas, 'Artist', 'Song.m4a')))).toBe(sha256(second));
    // imk sync status: job1's copy was replaced by job2's, not "delivered".
    expect(await rowOf('job1')).toMatchObject({
      state: 'replaced',
      conflict: { resolution: 'replaced', held_by: 'job2/files/no_drums.m4a' },
    });
    expect(await rowOf('job2')).toMatchObject({ state: 'delivered', remote_path: 'Artist/Song.m4a' });
    // A pass after sends nothing again.
    expect(await once()).toMatchObject({ delivered: 0, failed: 0, alreadyDelivered: 2 });
  }, 60_000);

  it('conflict: rename through local, rsync (`./`) and a bind mount: numbered, nothing overwritten or sent twice, status names who held the name', async () => {
    const bound = join(t.root, 'nas-bound');
    await mkdir(bound);
    await execa('mount', ['--bind', t.nas, bound]);
    mounted.push(bound);
    await writeConfig(
      t.root,
      config('rename', {
        instrumental: `      type: local\n      root: ${t.nas}\n      fsync: false\n`,
        no_drums: `      type: rsync\n      root: ${t.nas}/./\n`,
        drums_only: `      type: local\n      root: ${bound}/\n      fsync: false\n`,
      }),
    );
    const contents = [await song('job1', 'instrumental')];
    expect(await once()).toMatchObject({ delivered: 1, failed: 0 });
    contents.push(await song('job2', 'no_drums'), await song('job3', 'drums_only'));
    expect(await once()).toMatchObject({ delivered: 2, failed: 0 });

    const names = (await readdir(join(t.nas, 'Artist'))).sort();
    expect(names).toEqual(['Song (2).m4a', 'Song (3).m4a', 'Song.m4a']);
    const held = await Promise.all(
      names.map(async (name) => sha256(await readFile(join(t.nas, 'Artist', name)))),
    );
    expect(held.sort()).toEqual(contents.map(sha256).sort());
    expect(sha256(await readFile(join(t.nas, 'Artist', 'Song.m4a')))).toBe(sha256(contents[0]!));
    // imk sync status: the name was job1's copy (a receipt of this host), not "a file no receipt wrote".
    for (const jobId of ['job2', 'job3'])
      expect(await rowOf(jobId)).toMatchObject({
        state: 'delivered',
        conflict: { resolution: 'renamed', path: 'Artist/Song.m4a', held_by: 'job1/files/instrumental.m4a' },
      });
    expect(await once()).toMatchObject({ delivered: 0, failed: 0, alreadyDelivered: 3 });
  }, 60_000);

  it('one artifact routed to one folder through local and rclone (continue: true) arrives once, in one pass', async () => {
    const link = join(t.root, 'nas-link');
    await symlink(t.nas, link);
    const rcloneConfig = join(t.root, 'rclone.conf');
    await writeFile(rcloneConfig, '[imklocal]\ntype = local\n');
    await writeConfig(
      t.root,
      `nasSync:
  enabled: true
  backends:
    here:
      type: local
      root: ${t.nas}
      fsync: false
    viaRclone:
      type: rclone
      remote: "imklocal:${link}/"
      configFile: ${rcloneConfig}
  routes:
    - match: { kind: audio }
      to: "{artist}/{title}.{ext}"
      backend: here
      continue: true
    - match: { kind: audio }
      to: "{artist}/{title}.{ext}"
      backend: viaRclone
`,
    );
    const data = await song('job1', 'instrumental');
    expect(await once()).toMatchObject({ delivered: 2, failed: 0 });
    expect(await readdir(join(t.nas, 'Artist'))).toEqual(['Song.m4a']);
    expect(sha256(await readFile(join(t.nas, 'Artist', 'Song.m4a')))).toBe(sha256(data));
    const rows = (await status()).rows;
    expect(rows.map((row) => [row.backend, row.state, row.remote_path, row.conflict])).toEqual([
      ['here', 'delivered', 'Artist/Song.m4a', undefined],
      ['viaRclone', 'delivered', 'Artist/Song.m4a', undefined],
    ]);
  }, 60_000);
});
