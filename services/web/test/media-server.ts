import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';

const TYPES: Record<string, string> = {
  '.m4a': 'audio/mp4',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.mp4': 'video/mp4',
};

/** A loopback HTTP server for the files of one folder (what yt-dlp's generic extractor downloads from). */
export async function serveFolder(
  dir: string,
): Promise<{ url: (name: string) => string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const name = basename(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    const file = join(dir, name);
    stat(file).then(
      (info) => {
        const type = TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream';
        response.writeHead(200, {
          'content-type': type,
          'content-length': info.size,
          'accept-ranges': 'none',
        });
        if (request.method === 'HEAD') response.end();
        else createReadStream(file).pipe(response);
      },
      () => {
        response.writeHead(404).end('not found');
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (name) => `http://127.0.0.1:${port}/${encodeURIComponent(name)}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
