import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { createInbox, loadInboxSettings, type InboxSettings } from '../src/index.ts';

// The queue on a disk with no room left (a small share, a quota): the copy of a dropped song into its
// bundle failed writing, and was said as "<song> could not be read (ENOSPC)", as if the song were at
// fault. The copy's write error is now the destination's: "cannot write <queue>/…: the disk is full", and
// the song stays in the inbox for a later look. The queue folder is a real 256-KiB tmpfs.
let root: string;
let queues: string;
let settings: InboxSettings;
let mounted = false;
const SONG = 'Band - Long Song.mp3';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-inbox-full-'));
  queues = join(root, 'queues');
  await mkdir(queues);
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', queues]);
  mounted = true;
  settings = await loadInboxSettings(root, { stableChecks: 1 });
  await mkdir(settings.dir, { recursive: true });
  await mkdir(settings.queueDir, { recursive: true });
  // About 480 KB: more than the queue's disk holds.
  await execa('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=30'],
    ...['-c:a', 'libmp3lame', '-b:a', '128k', '-metadata', 'artist=Band', '-metadata', 'title=Long Song'],
    join(settings.dir, SONG),
  ]);
});
afterAll(async () => {
  if (mounted) await execa('umount', [queues]);
  await rm(root, { recursive: true, force: true });
});

describe('a dropped song when the queue folder is on a full disk', () => {
  it('stays in the inbox, and the log says the queue is full, naming where; not that the song could not be read', async () => {
    const out = new PassThrough();
    const lines: Record<string, unknown>[] = [];
    out.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    const inbox = createInbox(settings, createLogger('test', { destination: out, level: 'debug' }));
    const outcomes = await inbox.scan();
    expect(outcomes, JSON.stringify(lines)).toEqual([]);
    expect((await readdir(settings.dir)).filter((n) => !n.startsWith('.'))).toEqual([SONG]);
    expect(await readdir(join(settings.dir, '.rejected')).catch(() => [])).toEqual([]);
    const retried = lines.find((line) => line.msg === 'could not queue; will try again');
    const said = String(retried?.err);
    expect(said, JSON.stringify(lines)).toContain('the disk is full');
    expect(said).toContain(`cannot write ${settings.queueDir}`);
    expect(said).not.toMatch(/could not be read/);
    // Nothing half-written is left in the queue.
    expect((await readdir(settings.queueDir)).filter((n) => n.startsWith('job_'))).toEqual([]);
  });
});
