import { mkdir, readFile, readdir, rename, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '@imk/fs-safe';
import { ReceiptStore, createSyncEngine } from '@imk/sync';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { makeAudio, makeOutput, quietLogger, tempRoot } from './helpers.ts';

// The job page and `imk job` say of each artifact whether it is a file (played, downloaded, synced) or not.
// They looked with lstat of the joined path, which follows a symbolic link in the middle of it: a folder
// link out of the job folder made an artifact "file" there while serving and sync refused it. They now ask
// the check serving and sync make before they open a file; this test holds both to each other, per shape.
let root: string;
let cleanup: () => Promise<void>;
let web: RunningWeb;
const stop = new AbortController();

/** Path shapes in outputs/shapes/, what the page must call each, and how each is made. */
const SHAPES: [path: string, onDisk: string, make: (dir: string) => Promise<void>][] = [
  ['files/audio/plain.m4a', 'file', (dir) => makeAudio(join(dir, 'files/audio/plain.m4a'), 1, 440)],
  [
    'files/inner/x.m4a', // a folder link that stays inside the job folder: followed by all
    'file',
    async (dir) => {
      await makeAudio(join(dir, 'files/kept/x.m4a'), 1, 550);
      await symlink('kept', join(dir, 'files/inner'));
    },
  ],
  [
    'files/away/secret.m4a', // a folder link in the middle, out of the job folder
    'not-a-file',
    (dir) => symlink(join(root, 'outside'), join(dir, 'files/away')),
  ],
  [
    'files/audio/last.m4a', // a link at the end, out of the job folder
    'not-a-file',
    (dir) => symlink(join(root, 'outside', 'secret.m4a'), join(dir, 'files/audio/last.m4a')),
  ],
  ['files/gone/y.m4a', 'missing', (dir) => symlink(join(root, 'nowhere'), join(dir, 'files/gone'))],
  ['files/audio/deleted.m4a', 'missing', () => Promise.resolve()],
];

beforeAll(async () => {
  ({ root, cleanup } = await tempRoot('imk-web-on-disk-'));
  await mkdir(join(root, 'outside'), { recursive: true });
  await makeAudio(join(root, 'outside', 'secret.m4a'), 1, 660);
  const dir = await makeOutput(root, 'shapes');
  await mkdir(join(dir, 'files', 'audio'), { recursive: true });
  for (const [, , make] of SHAPES) await make(dir);
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
    artifacts: { path: string }[];
  };
  const model = manifest.artifacts[0]!;
  // Each artifact with its own sha256 and size where a file can be read at its path (a link followed).
  manifest.artifacts = await Promise.all(
    SHAPES.map(async ([path]) => {
      const file = join(dir, path);
      const facts = await stat(file).then(
        async (info) => (info.isFile() ? { sha256: await sha256File(file), bytes: info.size } : {}),
        () => ({}),
      );
      return { ...model, path, ...facts };
    }),
  );
  await writeFile(join(dir, 'manifest.json.tmp'), JSON.stringify(manifest));
  await rename(join(dir, 'manifest.json.tmp'), join(dir, 'manifest.json'));
  web = await listenWeb({ root, logger: quietLogger(), signal: stop.signal, overrides: { port: 0 } });
});
afterAll(async () => {
  stop.abort();
  await web.closed;
  await cleanup();
});

const get = (path: string) => fetch(`${web.url}${path}`, { signal: AbortSignal.timeout(60_000) });

describe("an artifact's state on the job page", () => {
  it('is what serving does with it: a link in the middle of its path that leads out is not a file', async () => {
    const detail = (await (await get('/api/outputs/shapes')).json()) as {
      artifacts: { path: string; on_disk: string; on_disk_note?: string }[];
    };
    expect(detail.artifacts.map((a) => [a.path, a.on_disk])).toEqual(
      SHAPES.map(([path, state]) => [path, state]),
    );
    for (const artifact of detail.artifacts) {
      const served = (await get(`/outputs/shapes/${artifact.path}`)).status;
      expect([artifact.path, served === 200], 'played and downloaded exactly when it is a file').toEqual([
        artifact.path,
        artifact.on_disk === 'file',
      ]);
    }
    // And what a sync pass sends: exactly the files.
    const receipts = ReceiptStore.open({ file: join(root, 'state', 'on-disk.sqlite') })!;
    try {
      const engine = createSyncEngine({
        outputsDir: join(root, 'outputs'),
        receipts,
        remoteRoots: { audio: join(root, 'nas') },
        backends: { nas: { type: 'local', fsync: false } },
        routes: [
          {
            name: 'all',
            match: { kind: 'audio' },
            to: '${remoteRoots.audio}/{basename}.{ext}',
            backend: 'nas',
          },
        ],
        logger: quietLogger(),
        retry: { attemptsPerPass: 1, initialDelaySec: 60, maxDelaySec: 600 },
      });
      await engine.runPass();
      await engine.close();
    } finally {
      receipts.close();
    }
    const sent = (await readdir(join(root, 'nas')).catch(() => [])).sort();
    expect(sent).toEqual(
      detail.artifacts
        .filter((a) => a.on_disk === 'file')
        .map((a) => a.path.split('/').pop())
        .sort(),
    );
    expect(detail.artifacts.find((a) => a.path === 'files/away/secret.m4a')?.on_disk_note).toBe(
      'not a regular file in its job folder (a folder, a device, or a link out of the folder): not sent, not played',
    );
  });
});
