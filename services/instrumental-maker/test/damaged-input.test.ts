import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stemCacheKey } from '@imk/protocol';
import { imk, jobDetail, makeRoot, publishV1, readManifest, removeRoot } from './helpers.ts';

// A file damaged mid-way (a corrupted download or copy) still decodes: ffmpeg skips what it cannot read and
// goes on. The song lost a second in the middle, and the job succeeded without a word unless the loss
// passed the cut-short check's slack (1 s or 5 %, meant for MP3 lengths estimated from a bitrate): a 24 s
// flac that lost 1.2 s, an MP3 or m4a whose broken packets ffmpeg reported, all published as if whole.
// The manifest now says the input is damaged, with what ffmpeg said; a whole file says nothing.
let root: string;
const SECONDS = 24;
const CODECS = { flac: ['-c:a', 'flac'], mp3: ['-c:a', 'libmp3lame'], m4a: ['-c:a', 'aac'] } as const;

beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, variants: ['instrumental'], output: { format: 'flac' } });
  for (const [format, codec] of Object.entries(CODECS)) {
    const whole = join(root, `whole.${format}`);
    await execa('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=440:duration=${SECONDS}`],
      ...['-ac', '2', ...codec, whole],
    ]);
    // 16 KiB of garbage in the middle of the file.
    const bytes = Buffer.from(await readFile(whole));
    const middle = Math.floor(bytes.length / 2);
    for (let i = middle; i < middle + 16384; i++) bytes[i] = (i * 7919) % 256;
    await writeFile(join(root, `damaged.${format}`), bytes);
    for (const kind of ['whole', 'damaged'])
      await publishV1(
        root,
        'other',
        {
          job_id: `${kind}_${format}`,
          source_type: 'local',
          artist: 'A',
          title: kind,
          audio_path: `in.${format}`,
        },
        { [`in.${format}`]: join(root, `${kind}.${format}`) },
      );
  }
  const result = await imk(['run', '--once', '--root', root]);
  expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 6 });
}, 300_000);
afterAll(() => removeRoot(root));

describe('an input damaged mid-way', () => {
  it.each(Object.keys(CODECS))('%s: is made, and its manifest says the input is damaged', async (format) => {
    const manifest = await readManifest(root, `damaged_${format}`);
    expect(manifest.warnings[0], JSON.stringify(manifest.warnings)).toMatch(
      new RegExp(
        `^the input in\\.${format} (decodes to [\\d.]+ s of the [\\d.]+ s its header declares: it may be cut short or damaged|is damaged: ffmpeg could not decode all of it \\(\\[mp3float\\] Header missing)`,
      ),
    );
  });

  it.each(Object.keys(CODECS))('%s: a whole file has no such warning', async (format) => {
    expect((await readManifest(root, `whole_${format}`)).warnings).toEqual([]);
  });
});

// The same damaged song again, asking for other variants (so not a duplicate): its stems come from the
// cache, the input was not decoded for the engine, and ffmpeg's words about the damage went missing from
// its manifest (the length check still ran). The damage is the input's, wherever its stems came from.
// Then the hit decoded the whole input again only to hear those words, spending the decode the cache
// saves: they are now kept with the stems and quoted. ffmpeg runs through a wrapper that logs each run, so
// the test sees which ran: decoding the input to the engine's float PCM is `-f f32le` (stems and variants
// are WAVs read without ffmpeg; encodes and loudness write elsewhere).
describe('an input damaged mid-way whose stems come from the cache', () => {
  let runs: string;
  const again = async (jobId: string, variant: string): Promise<string[]> => {
    await publishV1(
      root,
      'other',
      {
        job_id: jobId,
        source_type: 'local',
        artist: 'A',
        title: 'damaged',
        audio_path: 'in.mp3',
        options: { variants: ['instrumental', variant] },
      },
      { 'in.mp3': join(root, 'damaged.mp3') },
    );
    await writeFile(runs, '');
    const result = await imk(['run', '--once', '--root', root], { env: { IMK_FFMPEG: wrapper } });
    expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({
      succeeded: 1,
      duplicates: 0,
    });
    return (await readFile(runs, 'utf8')).split('\n').filter(Boolean);
  };
  let wrapper: string;
  let entryMeta: string;
  beforeAll(async () => {
    runs = join(root, 'ffmpeg-runs.txt');
    wrapper = join(root, 'ffmpeg-logged');
    await writeFile(wrapper, `#!/bin/sh\necho "$*" >> "${runs}"\nexec ffmpeg "$@"\n`);
    await chmod(wrapper, 0o755);
    const first = await readManifest(root, 'damaged_mp3');
    const key = stemCacheKey({ inputSha256: first.input.sha256, engine: first.engine });
    entryMeta = join(root, 'state', 'cache', 'stems', key, 'meta.json');
  }, 60_000);

  it('says the input is damaged, quoting ffmpeg, as the job that separated it did, without decoding it', async () => {
    const ran = await again('damaged_mp3_again', 'drums_only');
    const detail = await jobDetail(root, 'damaged_mp3_again');
    expect(detail.stages.find((s) => s.stage === 'separate')?.outcome).toBe('cache_hit');
    const first = (await readManifest(root, 'damaged_mp3')).warnings[0];
    const warnings = (await readManifest(root, 'damaged_mp3_again')).warnings;
    expect(warnings[0], JSON.stringify(warnings)).toBe(first);
    expect(warnings[0]).toMatch(/\[mp3float\] Header missing/);
    // ffmpeg ran (the encodes) but never decoded the input.
    expect(ran.length, ran.join('\n')).toBeGreaterThan(0);
    expect(
      ran.filter((args) => args.includes('-f f32le')),
      ran.join('\n'),
    ).toEqual([]);
  });

  it('an entry stored before the words were kept: its first hit decodes the input once and keeps them', async () => {
    const meta = JSON.parse(await readFile(entryMeta, 'utf8')) as Record<string, unknown>;
    expect(meta.decode_errors).toEqual(expect.arrayContaining([expect.stringMatching(/Header missing/)]));
    delete meta.decode_errors;
    await writeFile(entryMeta, JSON.stringify(meta));
    const first = (await readManifest(root, 'damaged_mp3')).warnings[0];
    const ran = await again('damaged_mp3_older', 'no_drums');
    expect((await readManifest(root, 'damaged_mp3_older')).warnings[0]).toBe(first);
    expect(
      ran.filter((args) => args.includes('-f f32le')),
      ran.join('\n'),
    ).toHaveLength(1);
    const kept = JSON.parse(await readFile(entryMeta, 'utf8')) as Record<string, unknown>;
    expect(kept.decode_errors).toEqual(expect.arrayContaining([expect.stringMatching(/Header missing/)]));
    // …and the next hit quotes them without decoding.
    const next = await again('damaged_mp3_newer', 'vocals');
    expect((await readManifest(root, 'damaged_mp3_newer')).warnings[0]).toBe(first);
    expect(
      next.filter((args) => args.includes('-f f32le')),
      next.join('\n'),
    ).toEqual([]);
  });
});

// ffmpeg names the file it decodes in some of its lines (`<path>: Invalid data found when processing input`,
// as it says of an mp4 it cannot read): the path of the claimed bundle, under the root, with the job's id.
// Kept with the stems as printed, a later job's manifest quoted another job's path. The entry now keeps a
// placeholder, and each manifest names its own input. ffmpeg runs through a wrapper that adds such a line
// naming its input (as given: the descriptor imk opened) when it decodes the input to float PCM.
describe('ffmpeg lines that name the input', () => {
  let wrapper: string;
  beforeAll(async () => {
    wrapper = join(root, 'ffmpeg-names-input');
    await writeFile(
      wrapper,
      [
        '#!/bin/sh',
        'case "$*" in *"-f f32le"*)',
        '  prev=; for a in "$@"; do [ "$prev" = -i ] && echo "$a: Invalid data found when processing input" >&2; prev=$a; done;;',
        'esac',
        'exec ffmpeg "$@"',
        '',
      ].join('\n'),
    );
    await chmod(wrapper, 0o755);
    // Bytes of its own (a tail ffmpeg skips), so that its stems are not those of the songs above.
    await writeFile(
      join(root, 'damaged-named.mp3'),
      Buffer.concat([await readFile(join(root, 'damaged.mp3')), Buffer.from('named')]),
    );
  }, 60_000);
  const run = async (jobId: string, name: string, variant: string): Promise<string[]> => {
    await publishV1(
      root,
      'other',
      {
        job_id: jobId,
        source_type: 'local',
        artist: 'A',
        title: 'damaged',
        audio_path: name,
        options: { variants: ['instrumental', variant] },
      },
      { [name]: join(root, 'damaged-named.mp3') },
    );
    const result = await imk(['run', '--once', '--root', root], { env: { IMK_FFMPEG: wrapper } });
    expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 1 });
    return (await readManifest(root, jobId)).warnings;
  };

  it("are quoted with the job's own input name, and kept in the stem cache without the path", async () => {
    const first = await run('named_first', 'first.mp3', 'drums_only');
    expect(first[0], JSON.stringify(first)).toContain('first.mp3: Invalid data found when processing input');
    expect(JSON.stringify(first)).not.toContain(root);
    const manifest = await readManifest(root, 'named_first');
    const key = stemCacheKey({ inputSha256: manifest.input.sha256, engine: manifest.engine });
    const meta = await readFile(join(root, 'state', 'cache', 'stems', key, 'meta.json'), 'utf8');
    expect(meta).not.toContain(root);
    expect(meta).not.toContain('first.mp3');
    // The same bytes named otherwise, other variants: the stems come from the cache, and so do ffmpeg's lines.
    const second = await run('named_second', 'second.mp3', 'no_drums');
    expect((await jobDetail(root, 'named_second')).stages.find((s) => s.stage === 'separate')?.outcome).toBe(
      'cache_hit',
    );
    expect(second[0], JSON.stringify(second)).toContain(
      'second.mp3: Invalid data found when processing input',
    );
    expect(JSON.stringify(second)).not.toContain(root);
    expect(JSON.stringify(second)).not.toContain('first.mp3');
  });
});
