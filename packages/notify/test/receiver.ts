import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A real HTTP server on 127.0.0.1 and a free port that keeps every request. `reply` decides the status
 * and body of each one (default 200, empty) and how long it waits before answering (or what it waits
 * for), so a test can fail, slow down or hold the tries of a sender.
 */
export async function startReceiver(
  reply: (
    request: ReceivedRequest,
    index: number,
  ) => {
    status: number;
    body?: string;
    delayMs?: number;
    /** Answers only once this has settled (then after delayMs): a send held until the test has seen what it waits for. */
    holdUntil?: Promise<unknown>;
  } = () => ({
    status: 200,
  }),
): Promise<{ url: string; requests: ReceivedRequest[]; close(): Promise<void> }> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      const answer = reply(request, requests.length - 1);
      // A slow server answers late (a reply that never comes: a delay longer than the test).
      const respond = () =>
        setTimeout(() => {
          if (res.destroyed) return;
          res.writeHead(answer.status, { 'Content-Type': 'application/json' });
          res.end(answer.body ?? '');
        }, answer.delayMs ?? 0).unref();
      if (answer.holdUntil === undefined) respond();
      else void answer.holdUntil.finally(respond);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
