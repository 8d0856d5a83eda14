import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalBackend, createRsyncBackend, fitName, type SyncBackend } from '../src/index.ts';
import { tempPathFor } from '../src/util/remote-path.ts';
import { tempDir, testLogger } from './helpers.ts';

const context = (name: string) => ({ name, logger: testLogger() });
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

let dir: Awaited<ReturnType<typeof tempDir>>;
let nas: string;
let local: LocalArtifact;
interface LocalArtifact {
  path: string;
  bytes: number;
  sha256: string;
  data: Buffer;
}

async function localFile(data: Buffer): Promise<LocalArtifact> {
  const path = join(dir.path, `${randomBytes(4).toString('hex')}.m4a`);
  await writeFile(path, data);
  return { path, data, bytes: data.length, sha256: sha256(data) };
}

beforeEach(async () => {
  dir = await tempDir('imk-temp-names-');
  nas = join(dir.path, 'nas');
  await mkdir(nas);
  local = await localFile(randomBytes(20_000));
});
afterEach(() => dir.remove());

const request = (remotePath: string, artifact = local) => ({
  localPath: artifact.path,
  remotePath,
  bytes: artifact.bytes,
  sha256: artifact.sha256,
});

describe('local backend: no temporary name is left beside a delivered file', () => {
  const backend = () => createLocalBackend({ type: 'local' }, context('nas'));

  it('removes a temp left linked to the delivered file by a crash after link() (same content found there)', async () => {
    const target = join(nas, 'Art - Song.m4a');
    await writeFile(target, local.data);
    const temp = tempPathFor(target, local.sha256, 255);
    await link(target, temp);
    const result = await backend().put(request(target));
    expect(result.alreadyThere).toBe(true);
    expect(await readdir(nas)).toEqual(['Art - Song.m4a']);
    expect((await stat(target)).nlink).toBe(1);
  });

  it('removes a partial temp of the same content left by a crash, and delivers whole', async () => {
    const target = join(nas, 'Art - Song.m4a');
    await writeFile(tempPathFor(target, local.sha256, 255), local.data.subarray(0, 100));
    await backend().put(request(target));
    expect(await readdir(nas)).toEqual(['Art - Song.m4a']);
  });

  it('removes its temp when the name turns out to hold a different file (conflict)', async () => {
    const target = join(nas, 'Art - Song.m4a');
    await writeFile(target, randomBytes(20_000));
    const temp = tempPathFor(target, local.sha256, 255);
    await writeFile(temp, local.data);
    await expect(backend().put(request(target))).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect(await readdir(nas)).toEqual(['Art - Song.m4a']);
  });
});

/** Every name that appears in `folder` while `work` runs (listed every few milliseconds). */
async function namesSeenDuring(folder: string, work: Promise<unknown>): Promise<Set<string>> {
  const seen = new Set<string>();
  let done = false;
  const finished = work.finally(() => {
    done = true;
  });
  while (!done) {
    for (const name of await readdir(folder).catch(() => [])) seen.add(name);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await finished;
  for (const name of await readdir(folder)) seen.add(name);
  return seen;
}

// eCryptfs (Synology encrypted shares) stores names of at most 143 bytes: the temporary names must fit too.
const backends: [string, (root: string) => SyncBackend][] = [
  [
    'local',
    () => createLocalBackend({ type: 'local', maxNameBytes: 143, bandwidthLimit: '1M' }, context('nas')),
  ],
  [
    'rsync to a local folder',
    (root) =>
      createRsyncBackend({ type: 'rsync', root, maxNameBytes: 143, bandwidthLimit: '1M' }, context('rsync')),
  ],
];

describe.each(backends)('%s backend with maxNameBytes 143', (_name, make) => {
  it('writes a file whose name has 142 bytes through temporary names of at most 143 bytes', async () => {
    const name = fitName(`${'夜'.repeat(99)} (instrumental).m4a`, 143);
    expect(Buffer.byteLength(name)).toBeGreaterThan(140);
    const big = await localFile(randomBytes(2 * 1024 * 1024));
    const backend = make(nas);
    try {
      const folder = join(nas, 'Music');
      await mkdir(folder);
      const remotePath = backend.type === 'rsync' ? join('Music', name) : join(folder, name);
      const seen = await namesSeenDuring(folder, backend.put(request(remotePath, big)));
      expect([...seen].filter((n) => n !== name).length).toBeGreaterThan(0);
      for (const seenName of seen) expect(Buffer.byteLength(seenName)).toBeLessThanOrEqual(143);
      expect(await readdir(folder)).toEqual([name]);
    } finally {
      await backend.close();
    }
  });
});
