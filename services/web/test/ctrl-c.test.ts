// Ctrl-C at the terminal on `imk run web` (or `imk up`) while the HTTP API handles an upload. The stop closes
// every connection at once, so the page is told the upload failed; but the request's handler went on, and
// the job was queued after the dashboard had said it stopped: unseen, and a second job when the user
// uploaded again. Now a request the stop comes during queues nothing, says so in the log, and its temporary
// copy goes. ffprobe is held (a wrapper that runs the real one once released) so that the Ctrl-C lands while
// the upload is read; it is released once imk said it stopped, as a slow disk would let it finish.
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf, within } from '@imk/fs-safe/testing';
import { generate } from '@imk/media/testing';
import { ctrlC, imkInOwnGroup, until } from '../../../packages/cli/test/ctrl-c-kit.ts';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-web-ctrl-c-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A port free on loopback now. */
const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

describe('Ctrl-C on imk run web while an upload is handled', () => {
  it('queues nothing the page was not told of, and leaves no temporary copy', async () => {
    const song = join(root, 'song.mp3');
    await generate(song, '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:a', 'libmp3lame');
    const port = await freePort();
    await mkdir(join(root, 'config'), { recursive: true });
    await writeFile(join(root, 'config', 'web.yaml'), `port: ${port}\n`);
    const [hold, started, wrapper] = ['hold', 'started', 'ffprobe-held'].map((name) => join(root, name));
    await writeFile(hold!, '');
    await writeFile(
      wrapper!,
      `#!/bin/sh\ntouch "${started}"; while [ -e "${hold}" ]; do sleep 0.05; done\nexec ffprobe "$@"\n`,
    );
    await chmod(wrapper!, 0o755);
    const run = imkInOwnGroup(['run', 'web'], root, { IMK_FFPROBE: wrapper! });
    let said = '';
    run.all.on('data', (chunk: Buffer) => (said += chunk.toString()));
    await within(
      until(() => said.includes('dashboard listening') || run.exitCode !== null, 20),
      60_000,
      'the dashboard to listen',
      () => said,
    );
    const form = new FormData();
    form.append('file', new Blob([await readFile(song)]), 'song.mp3');
    const answer = fetch(`http://127.0.0.1:${port}/api/upload`, { method: 'POST', body: form }).then(
      (response) => response.status,
      () => 'connection closed',
    );
    await within(
      until(() => existsSync(started!) || run.exitCode !== null, 20),
      60_000,
      'the upload to be read',
    );
    ctrlC(run.pid!);
    await within(
      until(() => said.includes('web dashboard stopped') || run.exitCode !== null, 20),
      30_000,
      'the dashboard to say it stopped',
      () => said,
    );
    await rm(hold!, { force: true });
    const result = await exitOf(run, 'imk run web after Ctrl-C', 60_000);
    const log = String(result.all);
    // What the page was told: not that the song was queued.
    expect(await answer, log).not.toBe(201);
    const queued = existsSync(join(root, 'queues', 'other'))
      ? readdirSync(join(root, 'queues', 'other'))
      : [];
    expect(queued, log).toEqual([]);
    const uploads = join(root, 'state', 'tmp', 'web');
    expect(existsSync(uploads) ? readdirSync(uploads) : [], log).toEqual([]);
    expect(result.exitCode, log).toBe(0);
    expect(log).toContain('the dashboard stopped while song.mp3 was uploaded; nothing was queued');
  }, 150_000);
});
