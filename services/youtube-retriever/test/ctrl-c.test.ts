// Ctrl-C at the terminal on `imk up` while a request is being downloaded. The retriever stopped at once: its
// yt-dlp was stopped, and the request, failed by that stop (ABORTED), was marked `.fail` for good ("fix the
// cause and drop the request again"), though nothing was wrong with it. Now the stop lets the request under
// way finish (gracePeriodMs; its tools, in process groups of their own, are not killed by the terminal's
// SIGINT meant for imk), and a request the grace does not see finish is put back to be handled again at the
// next start, not failed. `imk fetch` died at once by Ctrl-C, saying nothing, and left yt-dlp's half-written
// download in state/youtube-retriever/work/ for good; it now stops the download, removes it and says so.
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf, within } from '@imk/fs-safe/testing';
import { generate } from '@imk/media/testing';
import { ctrlC, imkInOwnGroup, until } from '../../../packages/cli/test/ctrl-c-kit.ts';
import { IMK } from '../../../packages/cli/test/imk-bin.ts';

let dir = '';
let song: Buffer;
let server: Server;
/** Responses that sent half the song and wait to be let send the rest. */
const held = new Set<ServerResponse>();

/** Lets every held response send the rest of the song, now and from now on. */
let released = false;
function release(): void {
  released = true;
  for (const response of held) response.end(song.subarray(song.length >> 1));
  held.clear();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-yt-ctrl-c-'));
  const file = join(dir, 'song.m4a');
  await generate(file, '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-c:a', 'aac', '-b:a', '64k');
  song = await readFile(file);
  // Sends half the song at once, and the rest only once released: the download is under way until then.
  server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'audio/mp4', 'content-length': String(song.length) });
    if (request.method === 'HEAD') return void response.end();
    response.write(song.subarray(0, song.length >> 1));
    if (released) response.end(song.subarray(song.length >> 1));
    else {
      held.add(response);
      response.on('close', () => held.delete(response));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  release();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/** A root whose requests folder holds `song.txt` asking for the held song, with `config` as its retriever config. */
async function rootWithRequest(name: string, config = ''): Promise<{ root: string; requests: string }> {
  const root = join(dir, name);
  const requests = join(root, 'requests', 'youtube');
  await mkdir(requests, { recursive: true });
  await mkdir(join(root, 'config'), { recursive: true });
  await writeFile(join(root, 'config', 'youtube-retriever.yaml'), `pollIntervalMs: 100\n${config}`);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/song.m4a`;
  await writeFile(join(requests, 'song.txt'), `${url}\n`);
  return { root, requests };
}

/** `imk up --only youtube-retriever` once yt-dlp is downloading (its `.part` file is there). */
async function upWhileDownloading(root: string): Promise<{ run: ReturnType<typeof imkInOwnGroup> }> {
  const run = imkInOwnGroup(['up', '--only', 'youtube-retriever'], root);
  const downloading = () => {
    try {
      return readdirSync(join(root, 'state'), { recursive: true }).some((path) =>
        String(path).endsWith('.part'),
      );
    } catch {
      return false;
    }
  };
  await within(
    until(() => downloading() || run.exitCode !== null, 20),
    60_000,
    'yt-dlp to start the download',
  );
  expect(run.exitCode, 'imk ended before yt-dlp downloaded').toBeNull();
  // In an object: an async function returning the subprocess itself would wait for it to end.
  return { run };
}

describe('Ctrl-C on imk up while the YouTube retriever downloads', () => {
  it('lets the download finish within the grace period: the request is done and its job queued', async () => {
    const { root, requests } = await rootWithRequest('finish');
    const { run } = await upWhileDownloading(root);
    let said = '';
    run.all.on('data', (chunk: Buffer) => (said += chunk.toString()));
    ctrlC(run.pid!);
    await within(
      until(() => said.includes('stopping: the request under way may finish') || run.exitCode !== null),
      10_000,
      'the retriever to say it lets the request finish',
      () => said,
    );
    release();
    const result = await exitOf(run, 'imk up after Ctrl-C', 60_000);
    const names = await readdir(requests);
    expect(names, String(result.all)).toEqual(['song.done']);
    const done = await readFile(join(requests, 'song.done'), 'utf8');
    const [, jobId, queue] = /^# job (\S+) -> (\S+)/m.exec(done) ?? [];
    expect(jobId, done).toBeDefined();
    expect(await readdir(join(root, 'queues', queue!))).toContain(`job_${jobId!}`);
    expect(result.exitCode, String(result.all)).toBe(0);
  }, 120_000);

  it('a download the grace period does not see finish is stopped, and its request handled again at the next start', async () => {
    released = false;
    const { root, requests } = await rootWithRequest('grace-over', 'gracePeriodMs: 500\n');
    const { run } = await upWhileDownloading(root);
    ctrlC(run.pid!);
    const result = await exitOf(run, 'imk up after Ctrl-C', 60_000);
    const said = String(result.all);
    expect(said).toContain('the service stopped before this request was finished; it will be handled again');
    expect(await readdir(requests), said).toEqual(['song.txt']);
    expect(result.exitCode, said).toBe(0);
    // The next start handles it.
    release();
    const again = imkInOwnGroup(['up', '--only', 'youtube-retriever'], root);
    try {
      await within(
        until(() => readdirSync(requests).includes('song.done'), 50),
        60_000,
        'the request to be handled at the next start',
        () => readdirSync(requests).join(', '),
      );
    } finally {
      ctrlC(again.pid!);
      await exitOf(again, 'imk up', 60_000);
    }
  }, 120_000);
});

/** `imk fetch <urls> --root <root>` as a shell runs it at its prompt (a process group of its own). */
const fetchInOwnGroup = (urls: string[], root: string) =>
  execa(IMK, ['fetch', ...urls, '--root', root], {
    detached: true,
    reject: false,
    all: true,
    stdin: 'ignore',
  });

describe('Ctrl-C on imk fetch while it downloads', () => {
  it('stops the download, keeps nothing half-done, says so and ends by the signal; the same command then fetches it once', async () => {
    released = false;
    const root = join(dir, 'fetch');
    const port = (server.address() as AddressInfo).port;
    const [url, next] = ['song.m4a', 'next.m4a'].map((name) => `http://127.0.0.1:${port}/${name}`);
    const work = join(root, 'state', 'youtube-retriever', 'work');
    const inWork = () => {
      try {
        return readdirSync(work, { recursive: true }).map(String);
      } catch {
        return [];
      }
    };
    const run = fetchInOwnGroup([url!, next!], root);
    await within(
      until(() => inWork().some((path) => path.endsWith('.part')) || run.exitCode !== null, 20),
      60_000,
      'yt-dlp to start the download',
    );
    expect(run.exitCode, 'imk fetch ended before yt-dlp downloaded').toBeNull();
    ctrlC(run.pid!);
    const result = await exitOf(run, 'imk fetch after Ctrl-C', 30_000);
    const said = String(result.all);
    // Ended by the signal, as a program stopped by Ctrl-C (130 in a shell): not a failed download (1).
    expect(result.signal, said).toBe('SIGINT');
    expect(inWork(), said).toEqual([]);
    const queued = () => readdir(join(root, 'queues', 'youtube_audio')).catch((): string[] => []);
    expect(await queued(), said).toEqual([]);
    expect(said).toMatch(
      /^imk: stopped by SIGINT while fetching \S+song\.m4a: its download was stopped and nothing half-done was kept.*\[ABORTED\]$/m,
    );
    expect(said).toMatch(/^imk: stopped by SIGINT: not fetched: \S+next\.m4a \[ABORTED\]$/m);
    // The same command, let finish: the song is queued once.
    release();
    const again = await exitOf(fetchInOwnGroup([url!], root), 'imk fetch', 60_000);
    expect(again.exitCode, String(again.all)).toBe(0);
    expect(await queued(), String(again.all)).toHaveLength(1);
    expect(inWork(), String(again.all)).toEqual([]);
  }, 150_000);
});
