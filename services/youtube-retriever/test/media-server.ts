import { createServer, type Server } from 'node:http';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { generate } from '@imk/media/testing';

/**
 * Media generated with ffmpeg for the tests: 3 s tones in m4a, a 3 s video, a WebP poster, a 20 s track
 * (encoded once per test run, copied into each test file's folder).
 */
export async function generateMedia(dir: string): Promise<void> {
  const ff = (args: string[]) => generate(args.at(-1)!, ...args.slice(0, -1));
  const tone = (frequency: number, seconds: number, name: string, bitrate = '64k') =>
    ff([
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=${frequency}:duration=${seconds}`,
      '-c:a',
      'aac',
      '-b:a',
      bitrate,
      join(dir, name),
    ]);
  const picture = ['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=3'];
  const sound = ['-f', 'lavfi', '-i', 'sine=frequency=550:duration=3'];
  // Two different songs with the same file name in two folders (yt-dlp's generic extractor names both "song").
  await mkdir(join(dir, 'other'), { recursive: true });
  await Promise.all([
    tone(880, 3, 'other/song.m4a'),
    tone(440, 3, 'audio.m4a'),
    tone(660, 3, 'two.m4a'),
    tone(770, 3, 'song.m4a'),
    tone(330, 20, 'long.m4a', '128k'),
    ff([
      ...picture,
      ...sound,
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      join(dir, 'video.mp4'),
    ]),
    ff(['-f', 'lavfi', '-i', 'color=c=red:s=64x64', '-frames:v', '1', join(dir, 'poster.webp')]),
  ]);
}

const TYPES: Record<string, string> = {
  '.m4a': 'audio/mp4',
  '.mp4': 'video/mp4',
  '.webp': 'image/webp',
  '.html': 'text/html; charset=utf-8',
  '.xspf': 'application/xspf+xml',
};

export interface MediaServer {
  url(path: string): string;
  /** The same server by another host name (`localhost` instead of `127.0.0.1`). */
  otherHostUrl(path: string): string;
  /** GET requests seen per path. */
  hits: Map<string, number>;
  /** Range headers seen per path (a resumed download asks for the rest). */
  ranges: Map<string, string[]>;
  /** Cookie headers seen per path. */
  cookies: Map<string, string[]>;
  /** Authorization headers seen per path (a link's user:password@ is sent as HTTP basic auth). */
  authorizations: Map<string, string[]>;
  /** Serves `html` at `path` from now on (a page that changes, like a channel that grows). */
  setPage(path: string, html: string): void;
  close(): Promise<void>;
}

const pages = (port: number): Record<string, string> => ({
  '/single.html':
    '<!doctype html><html><head><title>Single Song</title></head><body><video src="video.mp4" poster="poster.webp" controls></video></body></html>',
  '/page.html':
    '<!doctype html><html><head><title>My Mix</title></head><body><audio src="audio.m4a" controls></audio><audio src="two.m4a" controls></audio></body></html>',
  // The media of these pages drops its connection half-way (the pages themselves are served fine, so the
  // metadata step never touches the media file and the first GET of it is the real download).
  '/flaky1.html':
    '<!doctype html><html><head><title>Flaky One</title></head><body><audio src="flaky1.m4a"></audio></body></html>',
  '/flaky2.html':
    '<!doctype html><html><head><title>Flaky Two</title></head><body><audio src="flaky2.m4a"></audio></body></html>',
  '/dur-ok.xspf': xspf('On Time', 'audio.m4a', 3000, port),
  '/dur-bad.xspf': xspf('Cut Short', 'audio.m4a', 60000, port),
});

function xspf(title: string, location: string, durationMs: number, _port: number): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<playlist version="1" xmlns="http://xspf.org/ns/0/"><trackList>
<track><title>${title}</title><location>${location}</location><duration>${durationMs}</duration></track>
</trackList></playlist>`;
}

/**
 * A loopback HTTP server serving the generated media with Range support. `/flaky*.m4a` serves `long.m4a`
 * but drops the connection half-way through the first full request, like a broken network;
 * `/status-<code>.m4a` answers with that HTTP status.
 */
export async function startMediaServer(dir: string): Promise<MediaServer> {
  const hits = new Map<string, number>();
  const ranges = new Map<string, string[]>();
  const cookies = new Map<string, string[]>();
  const authorizations = new Map<string, string[]>();
  const extraPages = new Map<string, string>();
  let port = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const count = (hits.get(path) ?? 0) + (req.method === 'GET' ? 1 : 0);
      hits.set(path, count);
      if (req.headers.range) ranges.set(path, [...(ranges.get(path) ?? []), req.headers.range]);
      if (req.headers.cookie) cookies.set(path, [...(cookies.get(path) ?? []), req.headers.cookie]);
      const auth = req.headers.authorization;
      if (auth) authorizations.set(path, [...(authorizations.get(path) ?? []), auth]);
      const page = extraPages.get(path) ?? pages(port)[path];
      if (page !== undefined) {
        res.writeHead(200, { 'content-type': TYPES[path.slice(path.lastIndexOf('.'))] ?? 'text/plain' });
        res.end(page);
        return;
      }
      // `/status-<code>.m4a` answers with that HTTP status (a link gone for good: 410, refused: 451, …).
      const status = /^\/status-(\d{3})\.m4a$/.exec(path);
      if (status) {
        res.writeHead(Number(status[1]), { 'content-type': 'text/plain' });
        res.end(`status ${status[1]}`);
        return;
      }
      const flaky = /^\/flaky\d*\.m4a$/.test(path);
      const file = flaky ? 'long.m4a' : path.slice(1);
      let body: Buffer;
      try {
        if (!/^([a-z0-9]+\/)?[a-z0-9]+\.[a-z0-9]+$/.test(file)) throw new Error('bad name');
        body = await readFile(join(dir, file));
      } catch {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
        return;
      }
      const type = TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream';
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      let start = 0;
      let end = body.length - 1;
      if (range) {
        start = Number(range[1]);
        if (range[2]) end = Math.min(Number(range[2]), end);
      }
      const headers = {
        'content-type': type,
        'accept-ranges': 'bytes',
        'content-length': String(end - start + 1),
      };
      if (range) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${body.length}` });
      else res.writeHead(200, headers);
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      const chunk = body.subarray(start, end + 1);
      if (flaky && count === 1 && start === 0) {
        // Half the bytes, then the connection dies.
        res.write(chunk.subarray(0, Math.floor(chunk.length / 2)), () => res.socket?.destroy());
        return;
      }
      res.end(chunk);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}/${path.replace(/^\//, '')}`,
    otherHostUrl: (path) => `http://localhost:${port}/${path.replace(/^\//, '')}`,
    hits,
    ranges,
    cookies,
    authorizations,
    setPage: (path, html) => extraPages.set(`/${path.replace(/^\//, '')}`, html),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
