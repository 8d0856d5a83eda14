// rsync over ssh checks and commits a whole batch with one script on the server, which prints one verdict
// per file; the remote shell merges stderr into that output. When the server refused a rename (a NAS
// refuses to replace a locked or immutable file: here a `mv` on the server's PATH that refuses names with
// "locked", printing what GNU mv prints), its message stood among the verdicts, and the verdicts were read
// by position from the end: a file whose copy failed was reported delivered (the verdict of the next file),
// and a delivered one failed; and a refused rename was reported as a copy with the wrong sha256. Each verdict
// now names its file, and a refused rename says what the server said.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRsyncBackend } from '../src/index.ts';
import { tempDir, testLogger } from './helpers.ts';
import { sshdSettings, startAll, startSshd, type SshdServer } from './servers/index.ts';

let sshd: SshdServer;
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  ({ sshd, dir } = await startAll({ sshd: startSshd, dir: () => tempDir('imk-rsync-verdicts-') }));
});
afterAll(async () => {
  await Promise.all([sshd?.stop(), dir?.remove()]);
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('rsync over ssh: one refused rename in a batch', () => {
  it('fails exactly the files the server refused; every file reported delivered is there whole', async () => {
    // The server's refusing mv, put first on the PATH of the backend's remote shell (through its own
    // sshBinary setting: a wrapper around the real ssh that changes only that shell's start).
    const bin = join(dir.path, 'server-bin');
    await mkdir(bin);
    await writeFile(
      join(bin, 'mv'),
      `#!/bin/sh\ncase "$4" in *locked*) echo "mv: cannot move '$3' to '$4': Operation not permitted" >&2; exit 1;; esac\nexec /bin/mv "$@"\n`,
    );
    const wrapper = join(dir.path, 'ssh');
    await writeFile(
      wrapper,
      `#!/bin/bash\nargs=()\nfor a in "$@"; do if [ "$a" = "exec sh" ]; then args+=("PATH=${bin}:\\$PATH exec sh"); else args+=("$a"); fi; done\nexec ssh "\${args[@]}"\n`,
    );
    await chmod(join(bin, 'mv'), 0o755);
    await chmod(wrapper, 0o755);

    const root = join(sshd.dataDir, 'verdicts');
    await mkdir(root, { recursive: true });
    const names = ['a locked.m4a', 'b.m4a', 'c locked.m4a', 'd.m4a'];
    // Older copies under every name; conflict: replace sends the new ones over them.
    for (const name of names) await writeFile(join(root, name), `old ${name}`);
    const files = await Promise.all(
      names.map(async (name) => {
        const data = randomBytes(50_000);
        const localPath = join(dir.path, name);
        await writeFile(localPath, data);
        return { name, data, localPath };
      }),
    );
    const backend = createRsyncBackend(
      { ...sshdSettings(sshd, 'rsync', root), sshBinary: wrapper },
      { name: 'nas', logger: testLogger() },
    );
    try {
      // Put at the same moment: one batch, one check script.
      const outcomes = await Promise.allSettled(
        files.map((file) =>
          backend.put({
            localPath: file.localPath,
            remotePath: file.name,
            bytes: file.data.length,
            sha256: sha256(file.data),
            existing: 'replace',
          }),
        ),
      );
      const said = Object.fromEntries(files.map((file, i) => [file.name, outcomes[i]?.status]));
      expect(said).toEqual({
        'a locked.m4a': 'rejected',
        'b.m4a': 'fulfilled',
        'c locked.m4a': 'rejected',
        'd.m4a': 'fulfilled',
      });
      // What the server said, for the user: the copy was whole, the server refused to put it in place.
      for (const i of [0, 2]) {
        const outcome = outcomes[i];
        expect(outcome?.status === 'rejected' && (outcome.reason as Error).message).toMatch(
          /locked\.m4a: the copy arrived whole, but the server refused to put it in place \(mv\): mv: cannot move .*Operation not permitted/,
        );
        expect(outcome?.status === 'rejected' && (outcome.reason as { code?: string }).code).toBe(
          'PERMISSION_DENIED',
        );
      }
      for (const [i, file] of files.entries()) {
        const there = await readFile(join(root, file.name));
        if (outcomes[i]?.status === 'fulfilled') expect(sha256(there)).toBe(sha256(file.data));
        else expect(there.toString()).toBe(`old ${file.name}`);
      }
    } finally {
      await backend.close();
    }
  });
});
