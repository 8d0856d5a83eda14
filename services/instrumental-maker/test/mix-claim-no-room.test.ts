import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A job on a full disk failed at its first write into outputs/, the lease of its outputs claim, and its
// error (the log, imk-error.json, `imk job`) said only Node's "ENOSPC: no space left on device, write": no
// file, no folder. The file size limit (ulimit -f 0, SIGXFSZ ignored) fails that write the same way (EFBIG).
const FIXTURE = fileURLToPath(new URL('./fixtures/claim-mix.ts', import.meta.url));
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-mix-claim-room-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the outputs claim on a disk with no room', () => {
  it('names the lease file it could not write and says why, and leaves no claim behind', async () => {
    const outputs = join(dir, 'outputs');
    const result = await execa(
      'bash',
      [
        '-c',
        `trap '' XFSZ; ulimit -f 0; exec "$@"`,
        'claim',
        process.execPath,
        '--import',
        'tsx',
        FIXTURE,
        outputs,
      ],
      { reject: false },
    );
    expect(result.stdout).toMatch(
      /^error: cannot write .*outputs\/\.j1\.mixing\/c1\.[0-9a-f]+\.lease: the file size limit was reached/,
    );
    expect(await readdir(outputs)).toEqual([]);
  });
});
