import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { Writable } from 'node:stream';
import { createInbox } from '../src/index.ts';
import { ffmpeg, inboxFixtures, jobIn, media, setup } from './inbox-kit.ts';

inboxFixtures();

describe('inbox', () => {
  it('names the job after the file in readable Latin letters, whatever its script', async () => {
    const { settings, inbox } = await setup();
    const names = ['Björk – Jóga.mp3', 'Кино - Кукушка.mp3', '東京事変.mp3'];
    for (const name of names)
      await writeFile(join(settings.dir, name), await readFile(join(media, 'tagged.mp3')));
    await inbox.scan();
    const ids = (await inbox.scan()).map((o) => o.jobId).sort();
    expect(ids).toHaveLength(3);
    expect(ids[0]).toMatch(/^local_Bjork_-_Joga_[0-9a-f]{12}$/);
    expect(ids[1]).toMatch(/^local_Kino_-_Kukushka_[0-9a-f]{12}$/);
    expect(ids[2]).toMatch(/^local_file_[0-9a-f]{12}$/);
  });

  it('takes "Artist - Title" from the file name when the file has no tags', async () => {
    const { root, settings, inbox } = await setup();
    await writeFile(
      join(settings.dir, '03 - Daft Punk - Around the World.wav'),
      await readFile(join(media, 'plain.wav')),
    );
    await inbox.scan();
    const [outcome] = await inbox.scan();
    const job = await jobIn(join(root, 'queues', 'other', `job_${outcome!.jobId}`));
    expect(job).toMatchObject({ artist: 'Daft Punk', title: 'Around the World', audio_path: 'audio.wav' });
    expect(job.cover_path).toBeUndefined();
  });

  it('spells the artist and title from a Mac file name (NFD) as typed (NFC), so the same artist is one artist', async () => {
    const { root, settings, inbox } = await setup();
    const name = 'Björk - Jóga.wav'.normalize('NFD');
    await writeFile(join(settings.dir, name), await readFile(join(media, 'plain.wav')));
    await inbox.scan();
    const [outcome] = await inbox.scan();
    expect(outcome).toMatchObject({ name, outcome: 'queued' });
    const job = await jobIn(join(root, 'queues', 'other', `job_${outcome!.jobId}`));
    expect(job.artist).toBe('Björk'.normalize('NFC'));
    expect(job.title).toBe('Jóga'.normalize('NFC'));
    expect(await readdir(join(settings.dir, '.processed'))).toEqual([name]);
  });

  it('takes a file whose name is not UTF-8 (Latin-1 from an old Windows share) under its Windows-1252 reading, saying so', async () => {
    const { root, settings } = await setup();
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const inbox = createInbox(settings, createLogger('test', { level: 'warn', destination }));
    // "Café - Song.wav" with é as the one byte 0xE9: listed as "Caf\uFFFD - Song.wav", a name that opens nothing.
    const name = Buffer.concat([
      Buffer.from(`${settings.dir}/Caf`),
      Buffer.from([0xe9]),
      Buffer.from(' - Song.wav'),
    ]);
    await writeFile(name, await readFile(join(media, 'plain.wav')));
    let outcomes: Awaited<ReturnType<typeof inbox.scan>> = [];
    for (let look = 0; look < 5 && outcomes.length === 0; look++) {
      await new Promise((resolve) => setTimeout(resolve, settings.pollIntervalMs + 10));
      outcomes = await inbox.scan();
    }
    expect(outcomes).toMatchObject([{ name: 'Café - Song.wav', outcome: 'queued' }]);
    const job = await jobIn(join(root, 'queues', 'other', `job_${outcomes[0]!.jobId}`));
    expect(job).toMatchObject({ artist: 'Café', title: 'Song' });
    expect(await readdir(join(settings.dir, '.processed'))).toEqual(['Café - Song.wav']);
    expect(lines.join('')).toContain('the name of \\"Café - Song.wav\\" was not UTF-8');
  });

  it('names a DJ\'s Native Instruments stem file after the song, not after "<title>.stem"', async () => {
    const { root, settings, inbox } = await setup();
    // A .stem.mp4 without tags: the mixture and one stem as its first two audio streams.
    await ffmpeg(
      ...[
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:duration=2',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=330:duration=2',
      ],
      ...['-map', '0', '-map', '1', '-c:a', 'aac'],
      join(settings.dir, 'Daft Punk - Around the World.stem.mp4'),
    );
    await inbox.scan();
    const [outcome] = await inbox.scan();
    expect(outcome).toMatchObject({ outcome: 'queued' });
    const job = await jobIn(join(root, 'queues', 'other', `job_${outcome!.jobId}`));
    expect(job).toMatchObject({ artist: 'Daft Punk', title: 'Around the World' });
  });
});
