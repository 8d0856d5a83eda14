// What the inbox's tests share: test media made once per file, a root with the inbox's settings, and the
// bundle a file became.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll } from 'vitest';
import { createLogger } from '@imk/log';
import { JobSchema } from '@imk/protocol';
import { createInbox, loadInboxSettings, type Inbox } from '../src/index.ts';

export const logger = createLogger('test', { level: 'silent' });
/** The folder of the test media (tagged.mp3, plain.wav, clip.mkv, cover.jpg), made before a file's tests. */
export let media = '';
/** Roots made by a test, removed after the file's tests. */
export const roots: string[] = [];

export const ffmpeg = (...args: string[]) =>
  execa('ffmpeg', ['-v', 'error', '-y', ...args], { stdin: 'ignore' });

/** Makes the media before the file's tests and removes them, and the roots, after. */
export function inboxFixtures(): void {
  beforeAll(async () => {
    media = await mkdtemp(join(tmpdir(), 'imk-inbox-media-'));
    await ffmpeg('-f', 'lavfi', '-i', 'color=c=red:s=32x32', '-frames:v', '1', join(media, 'cover.jpg'));
    await Promise.all([
      ffmpeg(
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:duration=2',
        '-i',
        join(media, 'cover.jpg'),
        '-map',
        '0',
        '-map',
        '1',
        '-c:a',
        'libmp3lame',
        '-c:v',
        'copy',
        '-disposition:v',
        'attached_pic',
        '-id3v2_version',
        '3',
        '-metadata',
        'artist=Tagged Artist',
        '-metadata',
        'title=Tagged Title',
        '-metadata',
        'album=Tagged Album',
        join(media, 'tagged.mp3'),
      ),
      ffmpeg(
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=330:duration=2',
        '-c:a',
        'pcm_s16le',
        join(media, 'plain.wav'),
      ),
      ffmpeg(
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=64x48:rate=5:duration=2',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=550:duration=2',
        '-c:v',
        'libx264',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        '-shortest',
        join(media, 'clip.mkv'),
      ),
    ]);
  });
  afterAll(async () => {
    await Promise.all([media, ...roots].map((dir) => rm(dir, { recursive: true, force: true })));
  });
}

export async function setup() {
  const root = await mkdtemp(join(tmpdir(), 'imk-inbox-'));
  roots.push(root);
  const settings = await loadInboxSettings(root, { stableChecks: 2, pollIntervalMs: 50 });
  await mkdir(settings.dir, { recursive: true });
  const inbox = createInbox(settings, logger);
  // As the service does: one look every pollIntervalMs (a file counts as copied once the looks span that).
  const scan: Inbox['scan'] = async (signal) => {
    // (+10: a timer may fire a little before its time on the monotonic clock)
    await new Promise((resolve) => setTimeout(resolve, settings.pollIntervalMs + 10));
    return inbox.scan(signal);
  };
  return { root, settings, inbox: { scan } };
}

export async function jobIn(dir: string) {
  return JobSchema.parse(JSON.parse(await readFile(join(dir, 'job.json'), 'utf8')));
}
