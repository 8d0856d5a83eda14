import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleSongs, readBundle } from '../src/index.ts';

// macOS writes file names decomposed (NFD: "o" + U+0308), while job.json written by a script or another
// system spells them composed (NFC: "ö"), or the other way round. Linux compares names byte for byte.
const NFC = (text: string) => text.normalize('NFC');
const NFD = (text: string) => text.normalize('NFD');

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'imk-unicode-names-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function makeBundle(id: string, onDisk: (name: string) => string, inJob: (name: string) => string) {
  const dir = join(base, `job_${id}`);
  await mkdir(join(dir, onDisk('Sigur Rós')), { recursive: true });
  const audio = Buffer.from(`audio of ${id}`);
  await writeFile(join(dir, onDisk('Björk - Jóga.wav')), audio);
  await writeFile(join(dir, onDisk('Sigur Rós'), onDisk('Hoppípolla.wav')), 'second');
  await writeFile(join(dir, onDisk('Jóga.jpg')), 'cover');
  const job = {
    job_id: id,
    source_type: 'custom',
    artist: 'Björk',
    title: 'Jóga',
    audio_path: inJob('Björk - Jóga.wav'),
    cover_path: inJob('Jóga.jpg'),
    files: [
      {
        path: inJob('Björk - Jóga.wav'),
        sha256: createHash('sha256').update(audio).digest('hex'),
        bytes: audio.length,
      },
      {
        path: inJob('Sigur Rós/Hoppípolla.wav'),
        sha256: createHash('sha256').update('second').digest('hex'),
        bytes: 6,
      },
    ],
  };
  await writeFile(join(dir, 'job.json'), JSON.stringify(job));
  return dir;
}

describe('file names that differ only in Unicode normalisation (NFC / NFD)', () => {
  for (const [label, onDisk, inJob] of [
    ['NFD on disk (macOS), NFC in job.json', NFD, NFC],
    ['NFC on disk, NFD in job.json', NFC, NFD],
  ] as const) {
    it(`${label}: the bundle is valid and names each file as it is spelt on disk`, async () => {
      const dir = await makeBundle(label.startsWith('NFD') ? 'uni_nfd' : 'uni_nfc', onDisk, inJob);
      const result = await readBundle(dir);
      expect(result).toMatchObject({ ok: true });
      if (!result.ok) return;
      const { job } = result;
      expect(job.audio_path).toBe(onDisk('Björk - Jóga.wav'));
      expect(job.files?.map((file) => file.path)).toEqual([
        onDisk('Björk - Jóga.wav'),
        `${onDisk('Sigur Rós')}/${onDisk('Hoppípolla.wav')}`,
      ]);
      // A consumer opens what the job names: the song, and its cover.
      expect(await readFile(join(dir, job.audio_path!), 'utf8')).toMatch(/^audio of/);
      const [song] = await bundleSongs(dir, job);
      expect(song!.warnings).toEqual([]);
      expect(await readFile(join(dir, song!.job.cover_path!), 'utf8')).toBe('cover');
    });
  }

  it('a name that is not there in any spelling is still missing, naming it', async () => {
    const dir = await makeBundle('uni_missing', NFD, NFC);
    const text = JSON.parse(await readFile(join(dir, 'job.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(dir, 'job.json'), JSON.stringify({ ...text, audio_path: 'Bjork - Joga.wav' }));
    expect(await readBundle(dir)).toMatchObject({
      ok: false,
      problems: [
        { path: 'audio_path', message: 'Bjork - Joga.wav is named in job.json but missing from the bundle' },
      ],
    });
  });
});
