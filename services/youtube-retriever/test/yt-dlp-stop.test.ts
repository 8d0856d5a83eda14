import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
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

/** The service's yt-dlp run, in a process of its own (what `imk up` or `imk run youtube-retriever` is). */
const SERVICE = `
const { createYtDlp } = await import(process.argv[1]);
const { createLogger } = await import('@imk/log');
const ytDlp = await createYtDlp({ logger: createLogger('test', { level: 'silent' }) });
console.log(ytDlp.guard === undefined ? 'unguarded' : 'guarded');
await ytDlp.run(['--downloader', 'ffmpeg', '--socket-timeout', '600', '-o', process.argv[3]], process.argv[2]);
`;

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

  it('a service killed outright (SIGKILL) takes its running yt-dlp and the ffmpeg it runs with it', async () => {
    // A server that answers yt-dlp's look at the URL (a direct m4a link) and never answers ffmpeg, which
    // yt-dlp runs to download it (--downloader ffmpeg): yt-dlp and ffmpeg wait until they are ended.
    const sockets: Socket[] = [];
    let ffmpegConnected!: () => void;
    const reached = new Promise<void>((resolve) => (ffmpegConnected = resolve));
    const server = createHttpServer((request: IncomingMessage, response: ServerResponse) => {
      // ffmpeg asks for a range (yt-dlp gives it its own user agent); yt-dlp's look does not.
      if (request.headers.range !== undefined) {
        ffmpegConnected();
        return;
      }
      response.writeHead(200, { 'content-type': 'audio/mp4', 'content-length': '1000000' });
      response.end(Buffer.alloc(1000000));
    });
    server.on('connection', (socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const marker = `killed-${randomBytes(6).toString('hex')}`;
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${marker}.m4a`;
    const service = execa(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        SERVICE,
        join(import.meta.dirname, '../src/index.ts'),
        url,
        join(dir, `${marker}.%(ext)s`),
      ],
      { cwd: import.meta.dirname, reject: false },
    );
    try {
      // The run is under way: ffmpeg (started by yt-dlp) has connected and waits for an answer.
      await reached;
      const programs = await Promise.all(
        (await processesWith(marker)).map(async (pid) =>
          basename((await readFile(join('/proc', pid, 'cmdline'), 'utf8').catch(() => '')).split('\0')[0]!),
        ),
      );
      expect(programs).toContain('ffmpeg');
      service.kill('SIGKILL');
      const ended = await service;
      // The kernel tells the guard at once; each is gone within moments (looked at until then, 10 s at most).
      let left = await processesWith(marker);
      for (let look = 0; look < 200 && left.length > 0; look++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        left = await processesWith(marker);
      }
      expect(left).toEqual([]);
      expect(ended.stdout).toBe('guarded');
    } finally {
      for (const pid of await processesWith(marker)) process.kill(Number(pid), 'SIGKILL');
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 60_000);
});
