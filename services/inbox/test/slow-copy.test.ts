import { createHash } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { readBundle } from '@imk/protocol';
import { within } from '@imk/fs-safe/testing';
import { loadInboxSettings, startInbox } from '../src/index.ts';

const logger = createLogger('test', { level: 'silent' });
let media: string;
let root: string;

beforeAll(async () => {
  media = await mkdtemp(join(tmpdir(), 'imk-inbox-slow-media-'));
  root = await mkdtemp(join(tmpdir(), 'imk-inbox-slow-'));
  await Promise.all(
    (['first.wav', 'second.wav'] as const).map((name, i) =>
      execa('ffmpeg', [
        '-v',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        `sine=frequency=${330 + i * 110}:duration=3`,
        '-c:a',
        'pcm_s16le',
        join(media, name),
      ]),
    ),
  );
});
afterAll(async () => {
  await Promise.all([media, root].map((dir) => rm(dir, { recursive: true, force: true })));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Copies `bytes` into `target` in `chunks` pieces, `pauseMs` apart, as a slow network copy does. */
async function slowCopy(bytes: Buffer, target: string, chunks: number, pauseMs: number): Promise<void> {
  const size = Math.ceil(bytes.length / chunks);
  for (let at = 0; at < bytes.length; at += size) {
    await appendFile(target, bytes.subarray(at, at + size));
    await sleep(pauseMs);
  }
}

describe('files still being copied into the drop folder', () => {
  it('two songs copied slowly at once are each queued whole, never half-written', async () => {
    const settings = await loadInboxSettings(root, { pollIntervalMs: 1500, stableChecks: 2 });
    await mkdir(settings.dir, { recursive: true });
    const controller = new AbortController();
    const running = startInbox({ root, logger, signal: controller.signal, overrides: settings });
    const first = await readFile(join(media, 'first.wav'));
    const second = await readFile(join(media, 'second.wav'));
    try {
      // Pauses far shorter than the poll interval (10 times, so that a loaded machine stretching a pause
      // does not make it one): the copies are never quiet for a whole interval until done.
      // The other copy's writes wake the folder watcher in between, which starts looks early.
      await Promise.all([
        slowCopy(first, join(settings.dir, 'First Song.wav'), 16, 150),
        slowCopy(second, join(settings.dir, 'Second Song.wav'), 48, 45),
      ]);
      const deadline = Date.now() + 60_000;
      // By name: while a song is moved there, .processed/ also holds it as `.moving-…` for a moment (the
      // move links the name, then unlinks the hidden one), which counted as the second song before.
      const placed = async () =>
        (await readdir(join(settings.dir, '.processed')).catch(() => [])).filter((n) => !n.startsWith('.'));
      while ((await placed()).length < 2) {
        if (Date.now() > deadline)
          throw new Error(
            `timed out waiting for both songs in .processed/; the inbox holds: ${(await readdir(settings.dir)).join(', ')}`,
          );
        await sleep(50);
      }
    } finally {
      controller.abort();
      await within(running, 60_000, 'the inbox to stop once its signal was aborted');
    }
    const queue = settings.queueDir;
    const bundles = (await readdir(queue)).filter((name) => name.startsWith('job_'));
    const hashes = [];
    for (const name of bundles) {
      const result = await readBundle(join(queue, name));
      if (!result.ok) throw new Error(JSON.stringify(result.problems));
      hashes.push(result.job.files?.find((file) => file.path === result.job.audio_path)?.sha256);
    }
    // Exactly one job per song, each holding the whole file (a half-copied one would hash differently).
    expect(hashes.sort()).toEqual([sha256(first), sha256(second)].sort());
    expect((await readdir(join(settings.dir, '.processed'))).sort()).toEqual([
      'First Song.wav',
      'Second Song.wav',
    ]);
  });
});
