// The inbox folder on a disk mounted read-only (a share the NAS remounted read-only after an error, a
// snapshot): nothing can be taken or moved. The files stay, the log says why, naming the folder, and
// nothing of the inbox is held open look after look. The inbox is a real tmpfs, remounted read-only.
import { mkdir, mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { createInbox, loadInboxSettings, type InboxSettings } from '../src/index.ts';

let root: string;
let settings: InboxSettings;
let mounted = false;
const SONG = 'Band - Song.mp3';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-inbox-ro-'));
  settings = await loadInboxSettings(root, { stableChecks: 1 });
  await mkdir(settings.dir, { recursive: true });
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', settings.dir]);
  mounted = true;
  await execa('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3'],
    ...['-c:a', 'libmp3lame', '-b:a', '128k'],
    join(settings.dir, SONG),
  ]);
  await execa('mount', ['-o', 'remount,ro', settings.dir]);
});
afterAll(async () => {
  if (mounted) await execa('umount', [settings.dir]);
  await rm(root, { recursive: true, force: true });
});

/** This process's descriptors open on something inside `dir`. */
async function openIn(dir: string): Promise<string[]> {
  const targets = await Promise.all(
    (await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')),
  );
  return targets.filter((target) => target.startsWith(`${dir}/`));
}

describe('an inbox folder on a read-only disk', () => {
  it('leaves the song where it is, says the folder is read-only, and holds nothing open after its looks', async () => {
    const out = new PassThrough();
    const lines: Record<string, unknown>[] = [];
    out.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    const inbox = createInbox(settings, createLogger('test', { destination: out, level: 'debug' }));
    for (let look = 0; look < 5; look++) expect(await inbox.scan()).toEqual([]);
    // Before: each look left the song's descriptor open (five here; one per file every 2 s in a service,
    // until the process, and every service of imk up with it, ran out of descriptors).
    expect(await openIn(settings.dir)).toEqual([]);
    expect(await readdir(settings.dir)).toEqual([SONG]);
    const said = lines.filter((line) => line.msg === 'could not queue; will try again');
    expect(said).toHaveLength(5);
    // Before: "EROFS: read-only file system, mkdtemp '…/.taking-XXXXXX'".
    expect(String(said[0]!.err)).toMatch(
      new RegExp(
        `^cannot write the inbox folder ${settings.dir}: it is on a read-only file system .*the files stay where they are until it can be written`,
      ),
    );
  });
});
