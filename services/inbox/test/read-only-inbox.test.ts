// The inbox folder on a disk mounted read-only (a share the NAS remounted read-only after an error, a
// snapshot): nothing can be taken or moved. The files stay, the log says why once, naming the folder, the
// service shows as degraded until it is fixed, and nothing of the inbox is held open look after look. The
// inbox is a real tmpfs, remounted read-only, then read-write again.
import { mkdir, mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePaths } from '@imk/config';
import { createLogger } from '@imk/log';
import { createInbox, inboxService, loadInboxSettings, type InboxSettings } from '../src/index.ts';

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

/** The inbox's health as the supervisor computes it (its definition's healthChecks): the failing ones' words. */
async function degraded(): Promise<string[]> {
  const context = { paths: resolvePaths(root), env: {}, now: new Date() };
  const failing: string[] = [];
  for (const check of inboxService.healthChecks ?? inboxService.doctorChecks) {
    const result = await check.run(context);
    if (result.status === 'fail') failing.push(`${check.title}: ${result.summary}`);
  }
  return failing;
}

describe('an inbox folder on a read-only disk', () => {
  const lines: Record<string, unknown>[] = [];
  const out = new PassThrough();
  out.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean))
      lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  let inbox: ReturnType<typeof createInbox>;

  it('leaves the song where it is, says once that the folder is read-only, shows degraded, and holds nothing open after its looks', async () => {
    inbox = createInbox(settings, createLogger('test', { destination: out, level: 'debug' }));
    for (let look = 0; look < 5; look++) expect(await inbox.scan()).toEqual([]);
    // Before: each look left the song's descriptor open (five here; one per file every 2 s in a service,
    // until the process, and every service of imk up with it, ran out of descriptors).
    expect(await openIn(settings.dir)).toEqual([]);
    expect(await readdir(settings.dir)).toEqual([SONG]);
    const said = lines.filter((line) => line.msg === 'could not queue; will try again');
    // Said once, at error (before: at every look, five times here, every 2 s in a service).
    expect(said).toHaveLength(1);
    expect(said[0]!.level).toBe(50);
    // Before: "EROFS: read-only file system, mkdtemp '…/.taking-XXXXXX'".
    expect(String(said[0]!.err)).toMatch(
      new RegExp(
        `^cannot write the inbox folder ${settings.dir}: it is on a read-only file system .*the files stay where they are until it can be written`,
      ),
    );
    // Before: the inbox had no health checks, and showed "running" while it could take nothing.
    expect(await degraded()).toEqual([
      expect.stringMatching(/^inbox folder writable: cannot write the inbox folder .*read-only file system/),
    ]);
  });

  it('once the folder can be written again: the song is queued, the log says the trouble is over, and the health is green', async () => {
    await execa('mount', ['-o', 'remount,rw', settings.dir]);
    expect((await inbox.scan()).map((o) => o.outcome)).toEqual(['queued']);
    const over = lines.filter((line) => line.msg === 'the inbox queues files again: what stopped it is over');
    expect(over).toHaveLength(1);
    expect(String(over[0]!.was)).toMatch(/read-only file system/);
    expect(await degraded()).toEqual([]);
  });
});

describe('an inbox folder on a full disk', () => {
  it('says once that the disk is full, shows degraded naming the song that does not fit, and queues it once there is room', async () => {
    const full = await mkdtemp(join(tmpdir(), 'imk-inbox-full-'));
    const fullSettings = await loadInboxSettings(full, { stableChecks: 1 });
    await mkdir(fullSettings.dir, { recursive: true });
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', fullSettings.dir]);
    try {
      await execa('ffmpeg', [
        ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=20'],
        ...['-c:a', 'libmp3lame', '-b:a', '128k'],
        join(fullSettings.dir, SONG),
      ]);
      // The rest of the disk taken by something else (a hidden file: the inbox leaves it alone).
      await execa('dd', ['if=/dev/zero', `of=${join(fullSettings.dir, '.other')}`, 'bs=4k'], {
        reject: false,
      });
      const lines: Record<string, unknown>[] = [];
      const log = new PassThrough();
      log.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          lines.push(JSON.parse(line) as Record<string, unknown>);
      });
      const inbox = createInbox(fullSettings, createLogger('test', { destination: log, level: 'debug' }));
      for (let look = 0; look < 4; look++) expect(await inbox.scan()).toEqual([]);
      const said = lines.filter((line) => line.msg === 'could not queue; will try again');
      // Before: four times (each look's private copy has a new name, and the message with it).
      expect(said.map((line) => String(line.err))).toEqual([expect.stringMatching(/the disk is full/)]);
      const check = inboxService.healthChecks?.find((c) => c.id === 'inbox-writable');
      const context = { paths: resolvePaths(full), env: {}, now: new Date() };
      expect((await check!.run(context)).summary).toMatch(new RegExp(`less than ${SONG} \\(`));
      await rm(join(fullSettings.dir, '.other'));
      expect((await inbox.scan()).map((o) => o.outcome)).toEqual(['queued']);
      expect(
        lines.filter((line) => line.msg === 'the inbox queues files again: what stopped it is over'),
      ).toHaveLength(1);
      expect((await check!.run(context)).status).toBe('ok');
    } finally {
      await execa('umount', [fullSettings.dir]);
      await rm(full, { recursive: true, force: true });
    }
  });
});
