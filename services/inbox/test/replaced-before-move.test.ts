import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { JobSchema } from '@imk/protocol';
import { firstOutput } from '@imk/fs-safe/testing';
import { createInbox, loadInboxSettings, type InboxSettings } from '../src/index.ts';

// Once a dropped song was queued (or set aside), the inbox moved it to .processed/ (or .rejected/) by its
// name. A song saved over that name meanwhile (the next song, copied in under the same name) was moved in
// its place: .processed/ held the new song, never queued, and the song read was nowhere in the inbox. Now
// only the file that was read (the device and inode of its descriptor) is moved; a file that took its
// name stays in the inbox and is taken at the next look. A real process replaces the name right after the
// inbox opened the song (inotify IN_OPEN on it: the positive signal), while the inbox probes it, copies it
// and queues it.
const logger = createLogger('test', { level: 'silent' });
let root: string;
let settings: InboxSettings;
let watcher: ResultPromise | undefined;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

// Renames argv[2] over argv[1] as soon as the file argv[1] names now is opened, once.
const REPLACE_ON_OPEN = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init()
IN_OPEN = 0x20
if libc.inotify_add_watch(fd, sys.argv[1].encode(), IN_OPEN) < 0: sys.exit(2)
print('watching', flush=True)
os.read(fd, 4096)
os.rename(sys.argv[2], sys.argv[1])
print('replaced', flush=True)
`;

async function replaceOnOpen(file: string, by: string): Promise<void> {
  watcher = execa('python3', ['-c', REPLACE_ON_OPEN, file, by]);
  watcher.catch(() => undefined);
  await firstOutput(watcher, `the python watcher that replaces ${file} when it is opened`);
}

async function song(file: string, title: string, frequency: number): Promise<string> {
  await execa('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=${frequency}:duration=2`],
    ...['-c:a', 'libmp3lame', '-metadata', 'artist=Band', '-metadata', `title=${title}`, file],
  ]);
  return sha256(await readFile(file));
}

/** The sha256 of every file in `dir` (not hidden), by name. */
async function hashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await readdir(dir).catch(() => [])) {
    if (name.startsWith('.') || name.endsWith('.reason.txt')) continue;
    out[name] = sha256(await readFile(join(dir, name)));
  }
  return out;
}

/** The sha256 of the audio of every bundle queued. */
async function queued(): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir(settings.queueDir).catch(() => [])) {
    if (!name.startsWith('job_')) continue;
    const dir = join(settings.queueDir, name);
    const job = JobSchema.parse(JSON.parse(await readFile(join(dir, 'job.json'), 'utf8')));
    found.push(sha256(await readFile(join(dir, job.audio_path!))));
  }
  return found.sort();
}

/** The options file (`<input>.yaml`) of every bundle queued, by the sha256 of its audio. */
async function queuedOptions(): Promise<Record<string, string | undefined>> {
  const found: Record<string, string | undefined> = {};
  for (const name of await readdir(settings.queueDir).catch(() => [])) {
    if (!name.startsWith('job_')) continue;
    const dir = join(settings.queueDir, name);
    const job = JobSchema.parse(JSON.parse(await readFile(join(dir, 'job.json'), 'utf8')));
    const options = await readFile(join(dir, `${job.audio_path!}.yaml`), 'utf8').catch(() => undefined);
    found[sha256(await readFile(join(dir, job.audio_path!)))] = options;
  }
  return found;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-inbox-moved-'));
  settings = await loadInboxSettings(root, { stableChecks: 1 });
  await mkdir(settings.dir, { recursive: true });
});
afterEach(async () => {
  watcher?.kill();
  await watcher;
  watcher = undefined;
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('a dropped file whose name is saved over while the inbox takes it', () => {
  it('moves only the song it queued to .processed/; the song saved over it stays and is queued at the next look', async () => {
    const first = await song(join(settings.dir, 'Band - Song.mp3'), 'First', 440);
    // The next song, on the inbox's mount, ready to be renamed over the name.
    const next = await song(join(root, 'next.mp3'), 'Next', 330);
    await replaceOnOpen(join(settings.dir, 'Band - Song.mp3'), join(root, 'next.mp3'));
    const inbox = createInbox(settings, logger);
    const [taken] = await inbox.scan();
    // The watcher did replace the name while the first song was taken (else the test proves nothing).
    expect(String((await watcher!).stdout)).toContain('replaced');
    expect(taken).toMatchObject({ outcome: 'queued' });
    expect(await queued()).toEqual([first]);
    // The song queued was saved over (its only copy is the one queued): nothing of it to move. The new
    // one is not moved in its place; it is still in the inbox.
    expect(taken!.movedTo).toBeUndefined();
    expect(await hashes(join(settings.dir, '.processed'))).toEqual({});
    expect(await hashes(settings.dir)).toEqual({ 'Band - Song.mp3': next });
    expect(await inbox.scan()).toMatchObject([{ outcome: 'queued' }]);
    expect(await queued()).toEqual([first, next].sort());
    expect(await hashes(join(settings.dir, '.processed'))).toEqual({ 'Band - Song.mp3': next });
    expect(await readdir(join(settings.dir, '.processed'))).not.toContainEqual(
      expect.stringMatching(/^\.moving-/),
    );
  });

  it('sets aside only the file it found unusable; a song saved over its name meanwhile is queued', async () => {
    // Not media: rejected once probed.
    await writeFile(join(settings.dir, 'Band - Other.mp3'), '<html>404 Not Found</html>');
    const other = await song(join(root, 'other.mp3'), 'Other', 550);
    await copyFile(join(root, 'other.mp3'), join(root, 'other-copy.mp3'));
    await replaceOnOpen(join(settings.dir, 'Band - Other.mp3'), join(root, 'other-copy.mp3'));
    const inbox = createInbox(settings, logger);
    const [taken] = await inbox.scan();
    expect(String((await watcher!).stdout)).toContain('replaced');
    expect(taken).toMatchObject({ outcome: 'rejected' });
    // The song is not set aside for the page's reason: it is still there, and queued at the next look.
    expect(await hashes(join(settings.dir, '.rejected'))).toEqual({});
    expect(await hashes(settings.dir)).toEqual({ 'Band - Other.mp3': other });
    expect(await inbox.scan()).toMatchObject([{ outcome: 'queued' }]);
    expect(await queued()).toContain(other);
  });

  // The song's options file (My Song.stems.yml) was read by name at the publish and moved to .processed/ by
  // name afterwards, whatever happened to the song: the next song saved over the name stayed in the inbox,
  // its options went to .processed/, and it was queued without them. Now the options are read once, through
  // a descriptor, and moved only with their song and only if they are still the file read.
  it('leaves the options beside a song saved over while it was taken, and queues that song with them', async () => {
    const first = await song(join(settings.dir, 'Band - Opts.mp3'), 'Opts First', 880);
    await writeFile(join(settings.dir, 'Band - Opts.stems.yml'), 'stems: VD\n');
    const next = await song(join(root, 'next-opts.mp3'), 'Opts Next', 770);
    await replaceOnOpen(join(settings.dir, 'Band - Opts.mp3'), join(root, 'next-opts.mp3'));
    const inbox = createInbox(settings, logger);
    const [taken] = await inbox.scan();
    expect(String((await watcher!).stdout)).toContain('replaced');
    expect(taken).toMatchObject({ outcome: 'queued' });
    expect(taken!.movedTo).toBeUndefined();
    // The new song and the options both stay for the next look.
    expect(Object.keys(await hashes(settings.dir)).sort()).toEqual([
      'Band - Opts.mp3',
      'Band - Opts.stems.yml',
    ]);
    expect(await hashes(join(settings.dir, '.processed'))).not.toHaveProperty(['Band - Opts.stems.yml']);
    expect(await inbox.scan()).toMatchObject([{ outcome: 'queued' }]);
    // Both songs were queued with the options, and now both the song and its options are in .processed/.
    const withOptions = await queuedOptions();
    expect(withOptions[first]).toBe('stems: VD\n');
    expect(withOptions[next]).toBe('stems: VD\n');
    expect(await hashes(settings.dir)).toEqual({});
    expect(Object.keys(await hashes(join(settings.dir, '.processed')))).toEqual(
      expect.arrayContaining(['Band - Opts.mp3', 'Band - Opts.stems.yml']),
    );
  });

  it('queues the options it read and leaves options saved over them while the song was taken in the inbox', async () => {
    const taken1 = await song(join(settings.dir, 'Band - Edit.mp3'), 'Edit', 660);
    await writeFile(join(settings.dir, 'Band - Edit.stems.yml'), 'stems: VD\n');
    await writeFile(join(root, 'edited.stems.yml'), 'stems: VDBO\n');
    await replaceOnOpen(join(settings.dir, 'Band - Edit.stems.yml'), join(root, 'edited.stems.yml'));
    const inbox = createInbox(settings, logger);
    expect(await inbox.scan()).toMatchObject([{ outcome: 'queued' }]);
    expect(String((await watcher!).stdout)).toContain('replaced');
    // The bundle holds the options read; the edited file, never queued, is not in .processed/ as if it were.
    expect((await queuedOptions())[taken1]).toBe('stems: VD\n');
    expect(await readFile(join(settings.dir, 'Band - Edit.stems.yml'), 'utf8')).toBe('stems: VDBO\n');
    expect(await hashes(join(settings.dir, '.processed'))).toHaveProperty(['Band - Edit.mp3']);
    expect(await hashes(join(settings.dir, '.processed'))).not.toHaveProperty(['Band - Edit.stems.yml']);
    // Alone, without their song, they are set aside at the next look, saying so.
    expect(await inbox.scan()).toMatchObject([{ name: 'Band - Edit.stems.yml', outcome: 'rejected' }]);
  });
});
