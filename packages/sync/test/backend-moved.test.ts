import { cp, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { backendLocation } from '../src/fingerprint.ts';
import { createSyncEngine, type BackendOptions, type SyncEngineOptions } from '../src/index.ts';
import { writeJob } from './fixtures.ts';
import { dir, engineFixtures, engineOptions, outputs, receipts, reopen, setReceipts } from './engine-kit.ts';

// A backend whose place changes under the same name: a wrong root fixed, a new NAS (host), another bucket or
// remote. Its delivered receipts named only "nas:<path>", so every copy counted as delivered for the new place
// too: nothing was sent there, and imk sync status said "delivered" of files the new place never got.

engineFixtures();

const ROUTES: SyncEngineOptions['routes'] = [
  {
    name: 'music',
    match: { kind: 'audio' },
    to: 'Music/{artist}/',
    backend: 'nas',
    continue: false,
  },
];

/** Two songs with the same artist and title, so the second is numbered: "A - T.m4a", "A - T (2).m4a". */
async function twoSongs(): Promise<void> {
  for (const [jobId, text] of [
    ['job_1', 'first song'],
    ['job_2', 'second song'],
  ] as const)
    await writeJob(outputs, {
      jobId,
      artist: 'A',
      title: 'T',
      artifacts: [{ path: 'files/audio/A - T.m4a', data: Buffer.from(text) }],
    });
}

const engineAt = (nas: BackendOptions) =>
  createSyncEngine(engineOptions({ backends: { nas }, routes: ROUTES, remoteRoots: {} }));

const filesIn = async (root: string) => (await readdir(join(root, 'Music', 'A'))).sort();

describe('a backend moved to another place under the same name', () => {
  it("sends every delivered copy to the backend's new root under the path it held; settings that do not move it send nothing", async () => {
    await twoSongs();
    const first = join(dir.path, 'nas-first');
    const second = join(dir.path, 'nas-second');
    expect(await engineAt({ type: 'local', root: first, fsync: false }).runPass()).toMatchObject({
      delivered: 2,
    });
    expect(await filesIn(first)).toEqual(['A - T (2).m4a', 'A - T.m4a']);

    // The same folder spelt with a trailing "/", a bandwidth limit, size-only checks: still there.
    const same = await engineAt({
      type: 'local',
      root: `${first}/`,
      fsync: false,
      bandwidthLimit: '10M',
      verify: 'size',
    }).runPass();
    expect(same).toMatchObject({ delivered: 0, alreadyDelivered: 2, failed: 0 });

    const moved = await engineAt({ type: 'local', root: second, fsync: false }).runPass();
    expect(moved).toMatchObject({ delivered: 2, alreadyDelivered: 0, failed: 0 });
    expect(await filesIn(second)).toEqual(['A - T (2).m4a', 'A - T.m4a']);
    expect(await readFile(join(second, 'Music', 'A', 'A - T.m4a'), 'utf8')).toBe('first song');
    expect(await readFile(join(second, 'Music', 'A', 'A - T (2).m4a'), 'utf8')).toBe('second song');
    // The first place keeps its copies; nothing there is touched.
    expect(await filesIn(first)).toEqual(['A - T (2).m4a', 'A - T.m4a']);

    receipts.close();
    setReceipts(reopen());
    const again = await engineAt({ type: 'local', root: second, fsync: false }).runPass();
    expect(again).toMatchObject({ delivered: 0, alreadyDelivered: 2 });
  });

  it('a new root that already holds the copies (moved there by hand) counts them as delivered, copying nothing', async () => {
    await twoSongs();
    const first = join(dir.path, 'nas-first');
    const copied = join(dir.path, 'nas-copied');
    await engineAt({ type: 'local', root: first, fsync: false }).runPass();
    await cp(first, copied, { recursive: true, preserveTimestamps: true });
    const before = (await stat(join(copied, 'Music', 'A', 'A - T.m4a'))).mtimeMs;
    const summary = await engineAt({ type: 'local', root: copied, fsync: false }).runPass();
    // Counted as delivered by this pass, each found there (imk sync --once: "2 found there with the same content").
    expect(summary).toMatchObject({ delivered: 2, failed: 0 });
    expect(summary.outcomes.map((outcome) => outcome.alreadyThere)).toEqual([true, true]);
    expect((await stat(join(copied, 'Music', 'A', 'A - T.m4a'))).mtimeMs).toBe(before);
    expect(await filesIn(copied)).toEqual(['A - T (2).m4a', 'A - T.m4a']);
  });

  it('receipts written before places were kept take the present place once, then a move sends them', async () => {
    await twoSongs();
    const first = join(dir.path, 'nas-first');
    const second = join(dir.path, 'nas-second');
    await engineAt({ type: 'local', root: first, fsync: false }).runPass();
    // As an earlier version left them: no place recorded.
    receipts.close();
    const db = new BetterSqlite3(receipts.file);
    db.exec('UPDATE receipts SET location = NULL');
    db.close();
    setReceipts(reopen());
    expect(await engineAt({ type: 'local', root: first, fsync: false }).runPass()).toMatchObject({
      delivered: 0,
      alreadyDelivered: 2,
    });
    expect(await engineAt({ type: 'local', root: second, fsync: false }).runPass()).toMatchObject({
      delivered: 2,
    });
    expect(await filesIn(second)).toEqual(['A - T (2).m4a', 'A - T.m4a']);
  });

  it('every backend type: the options naming the server, bucket or folder move it; how it is reached, checked or throttled does not', () => {
    const cases: [BackendOptions, Partial<BackendOptions>[], Partial<BackendOptions>[]][] = [
      [
        { type: 'local', root: '/mnt/nas' },
        [{ root: '/mnt/nas2' }],
        [{ root: '/mnt/nas/' }, { fsync: false }, { maxNameBytes: 143 }, { concurrency: 1 }],
      ],
      [
        { type: 'rsync', host: 'nas.lan', root: '/volume1/music' },
        [{ host: 'nas2.lan' }, { port: 2222 }, { username: 'other' }, { root: '/volume2/music' }],
        [{ host: 'NAS.lan' }, { port: 22 }, { privateKeyFile: '/keys/id' }, { extraArgs: ['-q'] }],
      ],
      [
        { type: 'sftp', host: 'nas.lan', username: 'me', root: 'music' },
        [{ host: 'nas2.lan' }, { username: 'other' }, { root: 'music2' }],
        [{ password: { env: 'NAS_PASSWORD' } }, { connectTimeoutSec: 30 }, { bandwidthLimit: '1M' }],
      ],
      [
        { type: 's3', bucket: 'music', prefix: 'imk', endpoint: 'http://127.0.0.1:9000' },
        [{ bucket: 'music2' }, { prefix: 'other' }, { endpoint: 'http://127.0.0.1:9001' }],
        [{ accessKeyId: { env: 'S3_KEY' } }, { partSize: 16 * 1024 * 1024 }, { verify: 'size' }],
      ],
      [
        { type: 'rclone', remote: 'gdrive:music' },
        [{ remote: 'gdrive:music2' }, { configFile: '/etc/rclone.conf' }],
        [{ flags: ['--fast-list'] }, { concurrency: 2 }],
      ],
    ];
    for (const [base, moves, stays] of cases) {
      const where = backendLocation(base);
      for (const move of moves)
        expect(backendLocation({ ...base, ...move } as BackendOptions), JSON.stringify(move)).not.toBe(where);
      for (const stay of stays)
        expect(backendLocation({ ...base, ...stay } as BackendOptions), JSON.stringify(stay)).toBe(where);
    }
  });
});
