// Files dropped whose copy is not over: the copy paused longer than the stability looks (a Finder or SMB
// copy waiting for its source), or was cut short. They are never queued half, and never set aside while
// the copy may still go on.
import { createHash } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readFile, readdir, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBundle } from '@imk/protocol';
import { createInbox, loadInboxSettings, type InboxConfig } from '../src/index.ts';
import { ffmpeg, inboxFixtures, logger, media, roots } from './inbox-kit.ts';

inboxFixtures();

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function inboxWith(overrides: Partial<InboxConfig>) {
  const root = await mkdtemp(join(tmpdir(), 'imk-inbox-'));
  roots.push(root);
  const settings = await loadInboxSettings(root, { stableChecks: 2, pollIntervalMs: 50, ...overrides });
  await mkdir(settings.dir, { recursive: true });
  const inbox = createInbox(settings, logger);
  // One look every pollIntervalMs, as the service does (+10: a timer may fire a little early).
  const scan = async () => {
    await new Promise((resolve) => setTimeout(resolve, settings.pollIntervalMs + 10));
    return inbox.scan();
  };
  return { settings, scan };
}

/** The sha256 of each queued bundle's input. */
async function queuedInputs(queue: string): Promise<string[]> {
  const hashes: string[] = [];
  for (const name of (await readdir(queue).catch(() => [])).filter((n) => n.startsWith('job_'))) {
    const result = await readBundle(join(queue, name));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const input = result.job.audio_path ?? result.job.video_path;
    hashes.push(result.job.files?.find((file) => file.path === input)?.sha256 ?? '');
  }
  return hashes.sort();
}

describe('a copy into the inbox that pauses or stops', () => {
  it('a WAV holding part of what its header declares, and an empty file, wait for the rest of their copy and are then queued whole', async () => {
    const { settings, scan } = await inboxWith({});
    const wav = await readFile(join(media, 'plain.wav'));
    const mp3 = await readFile(join(media, 'tagged.mp3'));
    // The copies have begun: the WAV's header and a third of its sound, the mp3 made but nothing written.
    await writeFile(join(settings.dir, 'Paused Song.wav'), wav.subarray(0, Math.floor(wav.length / 3)));
    await writeFile(join(settings.dir, 'Later Song.mp3'), '');
    // Many looks while the copies pause (each file unchanged for far longer than the stability looks).
    const seen = [];
    for (let look = 0; look < 6; look++) seen.push(...(await scan()));
    // Before: the third of the WAV was queued as a whole 0.67 s song (and moved to .processed/, where the
    // copy went on writing), and the empty mp3 was set aside in .rejected/ as "empty".
    expect(await readdir(settings.queueDir).catch(() => [])).toEqual([]);
    expect((await readdir(settings.dir)).sort()).toEqual(['Later Song.mp3', 'Paused Song.wav']);
    expect(new Set(seen.map((o) => `${o.name}: ${o.outcome}: ${o.reason ?? ''}`))).toEqual(
      new Set([
        // (a third of the file, less its header)
        'Paused Song.wav: waiting: holds 0.666 s of the 2 s its WAV header declares',
        'Later Song.mp3: waiting: is empty (0 bytes)',
      ]),
    );
    // The copies go on and end.
    await appendFile(join(settings.dir, 'Paused Song.wav'), wav.subarray(Math.floor(wav.length / 3)));
    await writeFile(join(settings.dir, 'Later Song.mp3'), mp3);
    const taken = [];
    for (let look = 0; look < 4 && taken.length < 2; look++)
      taken.push(...(await scan()).filter((o) => o.outcome === 'queued'));
    expect(taken.map((o) => o.name).sort()).toEqual(['Later Song.mp3', 'Paused Song.wav']);
    expect(await queuedInputs(settings.queueDir)).toEqual([sha256(mp3), sha256(wav)].sort());
    expect(await readdir(settings.dir)).toEqual(['.processed']);
  });

  it("a whole WAV whose header counts a few bytes too many (a writer's off-by-a-header size) is queued at once", async () => {
    const { settings, scan } = await inboxWith({});
    const wav = Buffer.from(await readFile(join(media, 'plain.wav')));
    const data = wav.indexOf('data');
    wav.writeUInt32LE(wav.readUInt32LE(data + 4) + 44, data + 4);
    await writeFile(join(settings.dir, 'Sloppy Header.wav'), wav);
    const seen = [...(await scan()), ...(await scan())];
    expect(seen.map((o) => [o.name, o.outcome])).toEqual([['Sloppy Header.wav', 'queued']]);
  });

  it('one that stays cut short or empty for incompleteWaitSec is set aside with the reason and what to do; nothing queued', async () => {
    const { settings, scan } = await inboxWith({ incompleteWaitSec: 1 });
    const wav = await readFile(join(media, 'plain.wav'));
    await writeFile(join(settings.dir, 'Cut Song.wav'), wav.subarray(0, Math.floor(wav.length / 2)));
    await writeFile(join(settings.dir, 'Empty Song.mp3'), '');
    const rejected: string[] = [];
    const deadline = Date.now() + 30_000;
    while (rejected.length < 2 && Date.now() < deadline)
      rejected.push(...(await scan()).filter((o) => o.outcome === 'rejected').map((o) => o.name));
    expect(rejected.sort()).toEqual(['Cut Song.wav', 'Empty Song.mp3']);
    expect(await readdir(settings.queueDir).catch(() => [])).toEqual([]);
    const aside = join(settings.dir, '.rejected');
    expect(await readFile(join(aside, 'Cut Song.wav.reason.txt'), 'utf8')).toMatch(
      /^Cut Song\.wav: holds [\d.]+ s of the 2 s its WAV header declares, unchanged for 1 s \(incompleteWaitSec\): it was cut short .*copy the whole file into the inbox again.*ffmpeg -i "Cut Song\.wav" -c copy/,
    );
    expect(await readFile(join(aside, 'Empty Song.mp3.reason.txt'), 'utf8')).toMatch(
      /^Empty Song\.mp3: is empty \(0 bytes\), unchanged for 1 s \(incompleteWaitSec\): the copy or download that made it failed/,
    );
    // Nothing lost: the files themselves are kept beside their reasons.
    expect((await readFile(join(aside, 'Cut Song.wav'))).length).toBe(Math.floor(wav.length / 2));
  });

  // Every format the inbox takes, each as a copy leaves it halfway: an MP4/M4A without its index yet ("moov
  // atom not found"), an Ogg file without its last page, and files that state their length (an MP3's Xing
  // header, FLAC's sample count, Matroska's duration) holding half of it.
  const FORMATS: Record<string, string[]> = {
    mp3: ['-c:a', 'libmp3lame', '-b:a', '128k'],
    flac: ['-c:a', 'flac'],
    m4a: ['-c:a', 'aac'],
    ogg: ['-c:a', 'libvorbis'],
    opus: ['-c:a', 'libopus'],
    mkv: ['-c:a', 'flac'],
    webm: ['-c:a', 'libopus'],
    mp4: ['-c:a', 'aac'],
  };
  async function songs(): Promise<Record<string, Buffer>> {
    const made: Record<string, Buffer> = {};
    for (const [ext, codec] of Object.entries(FORMATS)) {
      const file = join(media, `whole-4s.${ext}`);
      await ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:duration=4', ...codec, file);
      made[ext] = await readFile(file);
    }
    return made;
  }

  it('a file of any accepted format that holds half of itself waits for the rest of its copy, then is queued whole', async () => {
    const { settings, scan } = await inboxWith({});
    const whole = await songs();
    const halves = Object.entries(whole).map(([ext, bytes]) => [`Half.${ext}`, bytes] as const);
    for (const [name, bytes] of halves)
      await writeFile(join(settings.dir, name), bytes.subarray(0, Math.floor(bytes.length / 2)));
    const seen = [];
    for (let look = 0; look < 4; look++) seen.push(...(await scan()));
    // Before: the M4A and MP4 were set aside in .rejected/ at once ("moov atom not found"), the others
    // queued as whole, shorter songs (the worker warned of them, too late: the copy went on into .processed/).
    expect(await readdir(settings.queueDir).catch(() => [])).toEqual([]);
    expect(new Set(seen.map((o) => `${o.name}: ${o.outcome}`))).toEqual(
      new Set(halves.map(([name]) => `${name}: waiting`)),
    );
    expect(seen.find((o) => o.name === 'Half.m4a')?.reason).toMatch(
      /^holds \d+ of the \d+ bytes its MP4 boxes declare/,
    );
    expect(seen.find((o) => o.name === 'Half.flac')?.reason).toMatch(
      /^holds [\d.]+ s of the 4 s its header declares$/,
    );
    for (const [name, bytes] of halves)
      await appendFile(join(settings.dir, name), bytes.subarray(Math.floor(bytes.length / 2)));
    const taken = new Set<string>();
    for (let look = 0; look < 6 && taken.size < halves.length; look++)
      for (const o of await scan()) if (o.outcome === 'queued') taken.add(o.name);
    expect([...taken].sort()).toEqual(halves.map(([name]) => name).sort());
    expect(await queuedInputs(settings.queueDir)).toEqual(Object.values(whole).map(sha256).sort());
  });

  it('one that stays half for incompleteWaitSec is set aside with what it holds and what to do', async () => {
    const { settings, scan } = await inboxWith({ incompleteWaitSec: 1 });
    const whole = await songs();
    const names = ['Cut.m4a', 'Cut.flac', 'Cut.ogg'];
    for (const name of names) {
      const bytes = whole[name.slice(4)]!;
      await writeFile(join(settings.dir, name), bytes.subarray(0, Math.floor(bytes.length / 2)));
    }
    const rejected: string[] = [];
    const deadline = Date.now() + 30_000;
    while (rejected.length < names.length && Date.now() < deadline)
      rejected.push(...(await scan()).filter((o) => o.outcome === 'rejected').map((o) => o.name));
    expect(rejected.sort()).toEqual([...names].sort());
    const aside = join(settings.dir, '.rejected');
    expect(await readFile(join(aside, 'Cut.m4a.reason.txt'), 'utf8')).toMatch(
      /^Cut\.m4a: holds \d+ of the \d+ bytes its MP4 boxes declare .*unchanged for 1 s \(incompleteWaitSec\): it was cut short .*copy the whole file into the inbox again/,
    );
    expect(await readFile(join(aside, 'Cut.ogg.reason.txt'), 'utf8')).toMatch(
      /^Cut\.ogg: ends inside an Ogg page/,
    );
    expect(await readdir(settings.queueDir).catch(() => [])).toEqual([]);
  });

  it('a copy that set the full size first and is filling it with its sound (Windows over SMB) waits: an M4A with its index first, an MP3 with no Xing header', async () => {
    const { settings, scan } = await inboxWith({});
    const made: Record<string, Buffer> = {};
    const codecs: Record<string, string[]> = {
      'Windows Copy.m4a': ['-c:a', 'aac', '-movflags', '+faststart'],
      'Windows Copy.mp3': ['-c:a', 'libmp3lame', '-b:a', '128k', '-write_xing', '0'],
    };
    for (const [name, codec] of Object.entries(codecs)) {
      const file = join(media, name);
      await ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:duration=4', ...codec, file);
      made[name] = await readFile(file);
      // Its full size set first (the rest zeros), then the first half written.
      await writeFile(join(settings.dir, name), made[name].subarray(0, Math.floor(made[name].length / 2)));
      await truncate(join(settings.dir, name), made[name].length);
    }
    const seen = [];
    for (let look = 0; look < 4; look++) seen.push(...(await scan()));
    // Before: both were queued, the second half of each song zeros (the M4A's index said it was all there,
    // the MP3's length was its size over its bitrate).
    expect(await readdir(settings.queueDir).catch(() => [])).toEqual([]);
    expect(new Set(seen.map((o) => `${o.name}: ${o.outcome}: ${o.reason ?? ''}`))).toEqual(
      new Set(
        Object.keys(made).map(
          (name) =>
            `${name}: waiting: ends in zeros where its audio should be (its last 4096 bytes and more: a copy that set the file's full size first and has not written the rest yet)`,
        ),
      ),
    );
    for (const [name, bytes] of Object.entries(made)) await writeFile(join(settings.dir, name), bytes);
    const taken = new Set<string>();
    for (let look = 0; look < 6 && taken.size < 2; look++)
      for (const o of await scan()) if (o.outcome === 'queued') taken.add(o.name);
    expect([...taken].sort()).toEqual(Object.keys(made).sort());
    expect(await queuedInputs(settings.queueDir)).toEqual(Object.values(made).map(sha256).sort());
  });

  // Whole files that hold less than, or zeros where, a copy in progress would: an MP3 whose Xing header
  // overstates its length (an encoder's miscount: it ends on a whole frame, where a stopped copy ends inside
  // one) and PCM in an M4A, its index first, ending in digital silence (zeros, as a WAV's silence is: its
  // boxes say all of it was written). Before, both waited incompleteWaitSec and were set aside in .rejected/.
  it('whole files that only look cut short are queued at once: an MP3 whose Xing header overstates its length, an M4A of PCM ending in silence', async () => {
    const { settings, scan } = await inboxWith({});
    const mp3File = join(media, 'xing-4s.mp3');
    await ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=4',
      '-c:a',
      'libmp3lame',
      '-b:a',
      '128k',
      mp3File,
    );
    const mp3 = Buffer.from(await readFile(mp3File));
    const info = mp3.indexOf('Info');
    mp3.writeUInt32BE(mp3.readUInt32BE(info + 8) * 2, info + 8);
    const pcmFile = join(media, 'pcm-silent-end.m4a');
    await ffmpeg(
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2,apad=pad_dur=3'],
      ...['-c:a', 'pcm_s16le', '-movflags', '+faststart', '-f', 'mov', pcmFile],
    );
    const pcm = await readFile(pcmFile);
    await writeFile(join(settings.dir, 'Overstated.mp3'), mp3);
    await writeFile(join(settings.dir, 'Silent End.m4a'), pcm);
    // A copy of the same MP3 stopped half-way still waits.
    await writeFile(join(settings.dir, 'Half Overstated.mp3'), mp3.subarray(0, Math.floor(mp3.length / 2)));
    const seen = [];
    for (let look = 0; look < 4; look++) seen.push(...(await scan()));
    expect(new Set(seen.map((o) => `${o.name}: ${o.outcome}`))).toEqual(
      new Set(['Overstated.mp3: queued', 'Silent End.m4a: queued', 'Half Overstated.mp3: waiting']),
    );
    expect(await queuedInputs(settings.queueDir)).toEqual([sha256(mp3), sha256(pcm)].sort());
  });
});
