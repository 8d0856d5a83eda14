import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalBackend, createRsyncBackend } from '../src/index.ts';
import { tempDir, testLogger } from './helpers.ts';

// `remoteRoots: { audio: ~/Music }` (or a backend root ~/Music) failed every transfer with `"~/Music/…" is
// not an absolute path`, without saying why: no shell reads config/nas-sync.yaml, so `~` is no home folder.
// The message says so now, and what to write instead.
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir('imk-tilde-');
});
afterAll(() => dir.remove());

const context = (name: string) => ({ name, logger: testLogger() });
const backends = [
  ['local', () => createLocalBackend({ type: 'local' }, context('here'))],
  ['rsync to a folder on this host', () => createRsyncBackend({ type: 'rsync' }, context('here'))],
] as const;

describe('a destination path starting with ~', () => {
  for (const [kind, make] of backends)
    it(`${kind}: fails saying ~ is not expanded, and the full path to write`, async () => {
      const data = randomBytes(100);
      const localPath = join(dir.path, 'song.m4a');
      await writeFile(localPath, data);
      const backend = make();
      try {
        const error = await backend
          .put({
            localPath,
            bytes: data.length,
            sha256: createHash('sha256').update(data).digest('hex'),
            remotePath: '~/Music/Artist/song.m4a',
          })
          .catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'BACKEND_CONFIG_INVALID' });
        expect((error as Error).message).toContain(
          `"~/Music/Artist/song.m4a" is not an absolute path (a leading "~" is not expanded to a home folder: no shell reads the settings; write the full path in remoteRoots, the backend's root or the route's "to": "${homedir()}/Music", not "~/Music")`,
        );
      } finally {
        await backend.close();
      }
    });
});
