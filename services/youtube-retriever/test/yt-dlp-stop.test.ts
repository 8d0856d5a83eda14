import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { createYtDlp } from '../src/index.ts';

// How a fetch's yt-dlp is stopped (a cancel, the service stopping), with the real yt-dlp. Before, the stop
// signal was handed to yt-dlp-wrap, whose listener stayed on it after the run: the service's lifetime signal
// gathered one per yt-dlp run, and at the stop each ran `pgrep -P <pid> | xargs -L 1 kill` for a process
// long gone (kill's usage message on stderr, once per run; or the children of whatever process had that pid
// by then signalled).
const logger = createLogger('test', { level: 'silent' });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-yt-stop-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Programs named `names` on a PATH of their own that only write down that they ran. */
async function recordingPath(names: string[]): Promise<{ path: string; ran: () => Promise<string> }> {
  const bin = await mkdtemp(join(dir, 'bin-'));
  const log = join(bin, 'ran.txt');
  for (const name of names) {
    await writeFile(join(bin, name), `#!/bin/sh\necho "${name} $*" >> "${log}"\n`);
    await chmod(join(bin, name), 0o755);
  }
  return { path: bin, ran: () => readFile(log, 'utf8').catch(() => '') };
}

/** The processes whose command line holds `marker`. */
async function processesWith(marker: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const cmdline = await readFile(join('/proc', pid, 'cmdline'), 'utf8').catch(() => '');
    if (cmdline.includes(marker)) found.push(pid);
  }
  return found;
}

describe('stopping yt-dlp', () => {
  it('a stop after the runs have finished runs no program (no pgrep | xargs kill of pids long gone)', async () => {
    const ytDlp = await createYtDlp({ logger });
    const controller = new AbortController();
    for (let run = 0; run < 3; run++)
      expect(await ytDlp.run(['--version'], 'http://127.0.0.1:9/', controller.signal)).toMatch(/\d{4}\./);
    const shims = await recordingPath(['pgrep', 'xargs', 'kill']);
    const path = process.env.PATH;
    process.env.PATH = `${shims.path}:${path ?? ''}`;
    try {
      // As the service's stop does; whatever a listener runs, it runs before abort() returns (execSync).
      controller.abort();
    } finally {
      process.env.PATH = path;
    }
    expect(await shims.ran()).toBe('');
  });

  it('a stop while yt-dlp runs ends it at once, as ABORTED, and leaves no yt-dlp process behind', async () => {
    // A server that accepts and never answers: yt-dlp waits on it until it is stopped.
    const sockets: Socket[] = [];
    let connected!: () => void;
    const reached = new Promise<void>((resolve) => (connected = resolve));
    const server: Server = createServer((socket) => {
      sockets.push(socket);
      connected();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const marker = `held-${randomBytes(6).toString('hex')}`;
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${marker}.m4a`;
    try {
      const ytDlp = await createYtDlp({ logger });
      const controller = new AbortController();
      const running = ytDlp.run(['--dump-single-json', '--socket-timeout', '600'], url, controller.signal);
      // yt-dlp is running: it has connected and waits for an answer.
      await reached;
      expect(await processesWith(marker)).not.toEqual([]);
      controller.abort();
      await expect(running).rejects.toMatchObject({ code: 'ABORTED', message: expect.stringContaining(url) });
      expect(await processesWith(marker)).toEqual([]);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
