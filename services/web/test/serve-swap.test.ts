import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raceTries, startSwapper, type Swapper } from '@imk/fs-safe/testing';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { quietLogger, tempRoot } from './helpers.ts';

// The dashboard checked a file's path (inside outputs/<id>, a regular file), then @fastify/static opened it
// again by name to send it: a file swapped for a link to another file of this host in that moment was sent
// (anyone who can write to outputs/ could read what the web service can). It now sends what fs-safe opened.
const SECRET = 'a file of this host the dashboard must never send';
const INSIDE = 'the artifact itself';

let root: string;
let cleanup: () => Promise<void>;
let web: RunningWeb;
let swapper: Swapper | undefined;
const stop = new AbortController();

beforeAll(async () => {
  ({ root, cleanup } = await tempRoot('imk-web-swap-'));
  const dir = join(root, 'outputs', 'job_swap', 'files');
  await mkdir(dir, { recursive: true });
  await writeFile(join(root, 'secret.txt'), SECRET);
  await writeFile(join(dir, 'original.txt'), INSIDE);
  // Swaps files/x.txt between the artifact (a hard link to it) and a link to the secret, as fast as it can.
  swapper = await startSwapper({
    folder: dir,
    name: 'x.txt',
    original: 'original.txt',
    other: join(root, 'secret.txt'),
  });
  web = await listenWeb({ root, logger: quietLogger(), signal: stop.signal, overrides: { port: 0 } });
});
afterAll(async () => {
  await swapper?.stop();
  stop.abort();
  await web.closed;
  await cleanup();
});

describe('a served output file swapped for a link while it is being served', () => {
  it('is never sent in the link’s place: each answer is the artifact or a refusal naming it', async () => {
    // At least 400 requests, and on (up to 4,000) until both outcomes were seen: how often a request lands
    // between two swaps depends on the machine's load.
    const counts = await raceTries(
      ['served', 'refused'],
      { least: 400, most: 4000, enough: (seen) => seen.served > 0 && seen.refused > 0 },
      async () => {
        const response = await fetch(`${web.url}/outputs/job_swap/files/x.txt`, {
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        // Not a byte of it (before, up to the artifact's length of it was sent).
        expect(text).not.toContain(SECRET.slice(0, 8));
        if (response.status === 200) {
          expect(text).toBe(INSIDE);
          return 'served';
        }
        expect(response.status).toBe(404);
        return 'refused';
      },
    );
    // Both happened: the swap was really racing the requests.
    expect(counts.served).toBeGreaterThan(0);
    expect(counts.refused).toBeGreaterThan(0);
  });
});
