import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raceTries, startReplacer, type Swapper } from '@imk/fs-safe/testing';
import { createLogger } from '@imk/log';
import { JobSchema } from '@imk/protocol';
import { createInbox, loadInboxSettings, type InboxSettings } from '../src/index.ts';

// The inbox read a dropped song by its name three times: ffprobe (tags, size), a hash (the job id), the copy
// into the bundle. A song replaced in between by another regular file of the same name (saved over, a copy
// tool renaming its finished file into place) gave a job titled after one song, with the id and size of
// one read and the audio of another. Now the song is opened once and probed, hashed and copied through
// that one descriptor. A real process replaces the name with one song, then the other, as fast as it can,
// while the real inbox takes it again and again; every job queued must agree with the audio it holds.
const logger = createLogger('test', { level: 'silent' });
let root: string;
let settings: InboxSettings;
const songs: { file: string; title: string; sha256: string; bytes: number }[] = [];
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-inbox-replaced-'));
  // One look: the name is taken at once, whichever song it stands for then.
  settings = await loadInboxSettings(root, { stableChecks: 1 });
  await mkdir(settings.dir, { recursive: true });
  await mkdir(join(root, 'songs'));
  for (const [title, frequency, seconds] of [
    ['Alpha', 440, 2],
    ['Beta', 330, 3],
  ] as const) {
    const file = join(root, 'songs', `${title}.mp3`);
    await execa('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=${frequency}:duration=${seconds}`],
      ...['-c:a', 'libmp3lame', '-metadata', 'artist=Band', '-metadata', `title=${title}`, file],
    ]);
    const bytes = await readFile(file);
    songs.push({ file, title, sha256: sha256(bytes), bytes: bytes.length });
  }
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('a dropped song replaced by another file of the same name while the inbox takes it', () => {
  let replacer: Swapper | undefined;
  afterAll(() => replacer?.stop());

  it("is queued with the title, size and job id of the audio the job holds, or left for the next look; never one song's id and tags on the other's audio", async () => {
    replacer = await startReplacer({
      folder: settings.dir,
      name: 'Band - Song.mp3',
      files: songs.map((song) => song.file),
    });
    const inbox = createInbox(settings, logger);
    const titles = new Set<string>();
    const counts = await raceTries(
      ['queued', 'left'],
      { least: 12, most: 80, enough: (c) => c.queued >= 12 && titles.size === 2 },
      async () => {
        const outcomes = await inbox.scan();
        // Replaced while it was being opened or read: left where it is, taken at a later look.
        if (outcomes.length === 0) return 'left';
        expect(outcomes).toHaveLength(1);
        const [outcome] = outcomes;
        expect(outcome!.outcome, outcome!.reason).toBe('queued');
        const dir = join(settings.queueDir, `job_${outcome!.jobId!}`);
        const job = JobSchema.parse(JSON.parse(await readFile(join(dir, 'job.json'), 'utf8')));
        const audio = await readFile(join(dir, job.audio_path!));
        const song = songs.find((one) => one.sha256 === sha256(audio));
        expect(song, 'the queued audio is one of the two songs, whole').toBeDefined();
        titles.add(song!.title);
        expect(job.title).toBe(song!.title);
        expect(outcome!.jobId).toMatch(new RegExp(`_${song!.sha256.slice(0, 12)}$`));
        expect(job).toMatchObject({ local: { bytes: song!.bytes } });
        expect(job.files).toEqual([{ path: job.audio_path, sha256: song!.sha256, bytes: song!.bytes }]);
        // Gone from the queue, so that the next take queues the song again (not as a duplicate).
        await rm(dir, { recursive: true });
        return 'queued';
      },
    );
    expect(counts.queued).toBeGreaterThanOrEqual(12);
    expect([...titles].sort()).toEqual(['Alpha', 'Beta']);
  }, 240_000);
});
