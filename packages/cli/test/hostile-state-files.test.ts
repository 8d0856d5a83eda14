import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Files a service keeps in its state folder or a shared folder (an outbox entry, a results log, a
// heartbeat, a mix claim's lease, a download archive) and files the configuration names (known_hosts, an
// SFTP key), each replaced by a FIFO, a link leading outside, a link to /dev/zero, a folder or a 5 GB
// sparse file. Before, a plain read of a FIFO waited forever (the synchronous ones stopped the process),
// a link was followed and a huge file loaded whole. Each reader is fed every kind in a child process.
const SCRIPT = fileURLToPath(new URL('./fixtures/state-readers.ts', import.meta.url));
const SECRET = 'outside: not to be read or written';

interface Line {
  reader: string;
  kind: string;
  path: string;
  outside: string;
  value?: string;
  error?: string;
  timeout?: boolean;
}

describe('readers of state and shared files, fed hostile files', async () => {
  const base = await mkdtemp(join(tmpdir(), 'imk-state-files-'));
  const outsideFile = join(base, 'outside.txt');
  await writeFile(outsideFile, SECRET);
  afterAll(() => rm(base, { recursive: true, force: true }));
  const run = await execa(process.execPath, ['--import', 'tsx', SCRIPT, join(base, 'cases'), outsideFile], {
    reject: false,
    timeout: 150_000,
    env: { UV_THREADPOOL_SIZE: '64' },
  });
  const lines = run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Line);
  const readers = [
    'mix claim lease (outputs/)',
    'notify outbox entry (listing)',
    'notify outbox entry (claimed)',
    'notify results (read)',
    'notify results (append)',
    'heartbeat (state/health)',
    'download archive (read)',
    'download archive (append)',
    'job ledger (state/ledger.sqlite)',
    'sync receipts (state/receipts.sqlite)',
    'sftp known_hosts (check, then accept-new)',
    'sync fingerprint of privateKeyFile',
  ];
  const kinds = ['fifo', 'link to a file outside', 'link to /dev/zero', 'folder', 'huge sparse file'];
  // Files the configuration names follow links (a mounted secret is one) and are not size-capped.
  const configNamed = (reader: string) => /known_hosts|privateKeyFile/.test(reader);

  for (const reader of readers)
    it(`${reader}: every hostile kind comes back at once, refused or ignored, nothing outside read or written`, () => {
      for (const kind of kinds) {
        const line = lines.find((l) => l.reader === reader && l.kind === kind);
        expect(
          line,
          `${reader} / ${kind}: no answer (hung); stderr: ${run.stderr.slice(-500)}`,
        ).toBeDefined();
        expect(line!.timeout, `${reader} / ${kind} hung`).toBeUndefined();
        // (A config-named known_hosts that is a link is the user's: accept-new appends through it.)
        if (!configNamed(reader)) expect(line!.outside).toBe(SECRET);
        if (!(configNamed(reader) && kind === 'link to a file outside'))
          expect(line!.value ?? '', `${reader} / ${kind}`).not.toContain('outside');
        // A refusal names the file and says why.
        if (line!.error !== undefined) {
          expect(line!.error, `${reader} / ${kind}`).toContain(line!.path.split('/').pop()!);
          expect(line!.error).toMatch(
            /FIFO|symbolic link|character device|folder|too large|not a regular file|corrupt/,
          );
        }
      }
    });
});
