// The dashboard's upload names a song as the inbox and `imk enqueue` do (the file's own tags first, then
// "Artist - Title" in its name without a track number), and refuses a file that is not audio when it is
// uploaded, naming it, instead of queuing a job that fails later under the bundle's name (audio.mp3).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { makeAudio, servedTempRoot } from './helpers.ts';

const served = servedTempRoot();

async function upload(name: string, bytes: Uint8Array): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([bytes]), name);
  return fetch(`${served.web.url}/api/upload`, { method: 'POST', body: form });
}

async function queuedJob(response: Response): Promise<Record<string, unknown>> {
  expect(response.status).toBe(201);
  const { job_ids: ids } = (await response.json()) as { job_ids: string[] };
  const folder = join(served.root, 'queues', 'other', `job_${ids[0]}`);
  return JSON.parse(await readFile(join(folder, 'job.json'), 'utf8')) as Record<string, unknown>;
}

/** A second of audio in `name`'s format, with the given tags (none when empty). */
async function song(name: string, tags: Record<string, string> = {}): Promise<Uint8Array> {
  const plain = join(served.root, 'made', `plain-${name}`);
  await makeAudio(plain, 1);
  const tagged = join(served.root, 'made', name);
  const metadata = Object.entries(tags).flatMap(([key, value]) => ['-metadata', `${key}=${value}`]);
  await execa('ffmpeg', ['-v', 'error', '-y', '-i', plain, '-c', 'copy', ...metadata, tagged]);
  return readFile(tagged);
}

describe('uploading a file on the dashboard', () => {
  it("names the song by the file's own tags, as the inbox does, before its file name", async () => {
    const bytes = await song('01 - Dancing Queen.mp3', {
      artist: 'ABBA',
      title: 'Dancing Queen',
      album: 'Arrival',
    });
    expect(await queuedJob(await upload('01 - Dancing Queen.mp3', bytes))).toMatchObject({
      artist: 'ABBA',
      title: 'Dancing Queen',
      album: 'Arrival',
    });
    // Tags without a file name to go by: before, "Unknown Artist - track07".
    const track = await song('track07.mp3', { artist: 'Queen', title: 'Bohemian Rhapsody' });
    expect(await queuedJob(await upload('track07.mp3', track))).toMatchObject({
      artist: 'Queen',
      title: 'Bohemian Rhapsody',
    });
  });

  it('reads "Artist - Title" from an untagged file\'s name, a leading track number being no artist', async () => {
    const bytes = await song('untagged.wav');
    expect(await queuedJob(await upload('03 - Some Band - Some Song.wav', bytes))).toMatchObject({
      artist: 'Some Band',
      title: 'Some Song',
    });
    expect(await queuedJob(await upload('Other_Band_-_Other_Song.wav', bytes))).toMatchObject({
      artist: 'Other Band',
      title: 'Other Song',
    });
  });

  it('refuses a file that is not audio, naming the file uploaded, and queues nothing', async () => {
    const before = await readdir(join(served.root, 'queues', 'other'));
    const response = await upload('Bad - File.mp3', new TextEncoder().encode('<html>not a song</html>\n'));
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('NOT_MEDIA');
    expect(body.message).toMatch(/^cannot read media file Bad - File\.mp3: .*; nothing was queued$/);
    expect(body.message).not.toContain('upload.mp3');
    expect(body.message).not.toContain(served.root);
    expect(await readdir(join(served.root, 'queues', 'other'))).toEqual(before);
    // Removed as the answer goes out (the route's finally), so looked at until then.
    await expect.poll(() => readdir(join(served.root, 'state', 'tmp', 'web'))).toEqual([]);
    // A video without sound, too: the worker could make nothing of it.
    const silentVideo = join(served.root, 'made', 'silent.mp4');
    await execa('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'color=c=black:s=64x64:d=1',
      silentVideo,
    ]);
    const video = await upload('Band - Clip.mp4', await readFile(silentVideo));
    expect(video.status).toBe(422);
    expect(((await video.json()) as { message: string }).message).toMatch(
      /^media file Band - Clip\.mp4 has no audio stream .*; nothing was queued$/,
    );
  });
});
