// The dashboard's waveform and spectrogram PNGs are cached in state/cache/previews and were served by name
// (@fastify/static, after a stat that follows links): a link put there in place of a cached image, to a file
// elsewhere on this host (a token in state/), was served as the preview, and a FIFO hung the request. Only
// a regular file is a cached image now, sent from the descriptor fs-safe opens; anything else is drawn again.
import { readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { makeOutput, quietLogger, tempRoot } from './helpers.ts';

let root: string;
let cleanup: () => Promise<void>;
let web: RunningWeb;
const stop = new AbortController();

beforeAll(async () => {
  ({ root, cleanup } = await tempRoot('imk-web-preview-cache-'));
  await makeOutput(root, 'job_p');
  web = await listenWeb({ root, logger: quietLogger(), signal: stop.signal, overrides: { port: 0 } });
}, 120_000);
afterAll(async () => {
  stop.abort();
  await web.closed;
  await cleanup();
});

const preview = async (kind: string) => {
  const response = await fetch(`${web.url}/api/outputs/job_p/artifacts/0/${kind}.png`);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
};

async function cached(kind: string): Promise<string> {
  const dir = join(root, 'state', 'cache', 'previews');
  const name = (await readdir(dir)).find((n) => n.includes(`-${kind}-`) && n.endsWith('.png'));
  expect(name).toBeDefined();
  return join(dir, name!);
}

describe('a cached preview replaced by a link or a FIFO', () => {
  it('is drawn again, never served from what the link leads to, and never waits on the FIFO', async () => {
    const secret = join(root, 'secret-token');
    await writeFile(secret, 'SECRET-TOKEN-VALUE');
    for (const kind of ['waveform', 'spectrogram']) expect((await preview(kind)).status).toBe(200);

    const linked = await cached('waveform');
    await rm(linked);
    await symlink(secret, linked);
    const viaLink = await preview('waveform');
    expect(viaLink.status).toBe(200);
    expect(viaLink.body.toString('latin1')).not.toContain('SECRET-TOKEN-VALUE');
    expect(viaLink.body.subarray(1, 4).toString()).toBe('PNG');

    const fifo = await cached('spectrogram');
    await rm(fifo);
    await execa('mkfifo', [fifo]);
    // Nothing writes to the FIFO: an answer at all shows the request did not wait on it.
    const viaFifo = await preview('spectrogram');
    expect(viaFifo.status).toBe(200);
    expect(viaFifo.body.subarray(1, 4).toString()).toBe('PNG');
  }, 60_000);
});
