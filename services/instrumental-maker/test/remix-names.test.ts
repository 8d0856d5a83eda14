import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import {
  imk,
  jobDetail,
  publishLegacy,
  publishV1,
  readManifest,
  removeRoot,
  rootWithSeparatedSong,
} from './helpers.ts';

// A mix saved from the page's mixer (a remix job, as the web service queues it) joins the job's outputs.
// Re-saving a mix under its name replaces that mix; it must never replace a file the job itself made
// (its instrumental, its other variants), whatever name the mix was given. Real `imk run` workers.
let root: string;

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

beforeAll(async () => {
  root = await rootWithSeparatedSong({
    pollMs: 100,
    variants: ['instrumental', 'no_drums'],
    output: { format: 'flac' },
  });
}, 120_000);
afterAll(() => removeRoot(root));

let n = 0;
async function saveMix(variant: string, stems: Record<string, number>, extra: Record<string, unknown> = {}) {
  const id = `remix_${++n}_${variant}`;
  await publishV1(
    root,
    'other',
    {
      job_id: id,
      source_type: 'remix',
      artist: 'A',
      title: 'Song',
      remix: { of: 'song', variant, stems, ...extra },
    },
    {},
  );
  const result = await imk(['run', '--once', '--root', root]);
  return {
    id,
    summary: JSON.parse(String(result.stdout)) as Record<string, unknown>,
    all: String(result.all),
  };
}

describe('a saved mix never replaces a file the job made', () => {
  it.each([
    ['instrumental', {}, 'A - Song.flac'],
    ['no_drums', {}, 'A - Song (no drum).flac'],
    // Another name that is written under the same file name as the job's no_drums.
    ['no_drum', {}, 'A - Song (no drum).flac'],
  ])(
    'a mix named "%s" %o is refused: %s stays as the job made it',
    async (variant, extra, file) => {
      const before = await readManifest(root, 'song');
      const path = join(root, 'outputs', 'song', 'files', 'audio', file);
      const hash = await sha256(path);
      const { id, summary, all } = await saveMix(variant, { vocals: 1 }, extra);
      expect(summary, all).toMatchObject({ failed: 1 });
      const detail = await jobDetail(root, id);
      expect(detail.errors[0]).toMatchObject({ retryable: false });
      expect(detail.errors[0]!.message).toMatch(/REMIX_NAME_TAKEN/);
      expect(detail.errors[0]!.message).toContain(file);
      expect(await sha256(path)).toBe(hash);
      expect((await readManifest(root, 'song')).artifacts).toEqual(before.artifacts);
    },
    120_000,
  );

  it('a mix of its own name is added, and saving it again replaces it (and only it)', async () => {
    const first = await saveMix('my_mix', { vocals: 1 });
    expect(first.summary, first.all).toMatchObject({ succeeded: 1 });
    const again = await saveMix('my_mix', { bass: 1, vocals: 0.5 });
    expect(again.summary, again.all).toMatchObject({ succeeded: 1 });
    const manifest = await readManifest(root, 'song');
    const mixes = manifest.artifacts.filter((a) => a.variant === 'my_mix');
    expect(mixes).toHaveLength(1);
    expect(mixes[0]).toMatchObject({
      path: 'files/audio/A - Song (my mix).flac',
      stem_gains: { bass: 1, vocals: 0.5 },
    });
    expect(manifest.artifacts.map((a) => a.variant).sort()).toEqual(['instrumental', 'my_mix', 'no_drums']);
  }, 120_000);

  it.each([
    // The job made no a cappella: a mix named "vocals" (here drums and bass) is not one.
    ['vocals', 'A - Song (vocals).flac'],
    ['drums_only', 'A - Song (drums only).flac'],
  ])(
    'a mix named "%s" the job did not make is named by its own name: %s',
    async (variant, file) => {
      const { summary, all } = await saveMix(variant, { drums: 1, bass: 1 });
      expect(summary, all).toMatchObject({ succeeded: 1 });
      const manifest = await readManifest(root, 'song');
      expect(manifest.artifacts.find((a) => a.variant === variant)).toMatchObject({
        path: `files/audio/${file}`,
        label: `Mix: ${variant.replace(/_/g, ' ')}`,
      });
      expect(JSON.stringify(manifest.artifacts)).not.toContain('a cappella');
      expect(await readdir(join(root, 'outputs', 'song', 'files', 'audio'))).toContain(file);
    },
    120_000,
  );

  it("a mix named like the job's variant but at another key is a file of its own", async () => {
    const { summary, all } = await saveMix('instrumental', { drums: 1, bass: 1, other: 1 }, { pitch: -2 });
    expect(summary, all).toMatchObject({ succeeded: 1 });
    const manifest = await readManifest(root, 'song');
    // Named by its own name (it is the user's levels, not the job's instrumental recipe).
    expect(manifest.artifacts.find((a) => a.variant === 'instrumental@-2')).toMatchObject({
      path: 'files/audio/A - Song (instrumental) (-2 semitones).flac',
      pitch: -2,
    });
    expect(manifest.artifacts.find((a) => a.variant === 'instrumental')?.path).toBe(
      'files/audio/A - Song.flac',
    );
  }, 120_000);
});

// A mix whose file another save already holds (tempo 0.9 and 0.8999 are both "(90% tempo)"), the rule the
// dashboard applies before queuing (@imk/protocol mixFileVerdict): at the same levels it is that mix, made
// again in place (the worker refused it, REMIX_NAME_TAKEN, after the page had said "saving"); at other
// levels it is refused naming the field to change, the saved file kept.
describe('a mix written to the file of a mix saved before', () => {
  it('at the same levels is made in place; at other levels it is refused naming the tempo', async () => {
    const file = join(root, 'outputs', 'song', 'files', 'audio', 'A - Song (karaoke) (90% tempo).flac');
    const first = await saveMix('karaoke', { vocals: 1, bass: 1 }, { tempo: 0.8999 });
    expect(first.summary, first.all).toMatchObject({ succeeded: 1 });
    const again = await saveMix('karaoke', { bass: 1, vocals: 1 }, { tempo: 0.9 });
    expect(again.summary, again.all).toMatchObject({ succeeded: 1 });
    const karaoke = (await readManifest(root, 'song')).artifacts.filter((a) =>
      a.variant.startsWith('karaoke'),
    );
    expect(karaoke).toHaveLength(1);
    expect(karaoke[0]).toMatchObject({
      variant: 'karaoke@0.9x',
      path: `files/audio/${file.split('/').at(-1)}`,
    });
    const hash = await sha256(file);
    const other = await saveMix('karaoke', { drums: 1 }, { tempo: 0.8999 });
    expect(other.summary, other.all).toMatchObject({ failed: 1 });
    const detail = await jobDetail(root, other.id);
    expect(detail.errors[0]).toMatchObject({ retryable: false });
    expect(detail.errors[0]!.message).toMatch(/REMIX_NAME_TAKEN/);
    expect(detail.errors[0]!.message).toContain(
      `the mix "karaoke@0.8999x" would be written to ${karaoke[0]!.path}, the file of the mix "karaoke@0.9x" saved before`,
    );
    expect(detail.errors[0]!.message).toContain('save it at tempo 0.9 to replace that mix');
    expect(await sha256(file)).toBe(hash);
  }, 180_000);
});

// A mix saved with every level at 0 (all stems muted, or the master at 0) or naming no stem: the worker read
// no stem, so its block loop never reached an end, and it spun forever on that job (in `imk up` the dashboard
// stopped answering too). A bundle a script writes so is refused as the page's request is.
describe('a mix whose every stem is silent', () => {
  it.each([
    ['every level 0', { vocals: 0, drums: 0, bass: 0, other: 0 }],
    ['no stem named', {}],
  ])(
    'is rejected at once (%s), naming the field and what to do; the outputs stay as they were',
    async (_, stems) => {
      const before = await readManifest(root, 'song');
      const id = `remix_silent_${Object.keys(stems).length}`;
      // Written by hand (a script): publishBundle itself checks the job and would refuse it.
      await publishLegacy(
        root,
        'other',
        {
          schema_version: 1,
          job_id: id,
          source_type: 'remix',
          artist: 'A',
          title: 'Song',
          remix: { of: 'song', variant: 'quiet', stems },
        },
        {},
      );
      const run = imk(['run', '--once', '--root', root]);
      // The old worker never finished this job: stop it rather than wait for the test's own limit.
      const stuck = setTimeout(() => run.kill('SIGKILL'), 60_000);
      const result = await run;
      clearTimeout(stuck);
      expect(JSON.parse(String(result.stdout || '{}')), String(result.all)).toMatchObject({ rejected: 1 });
      const detail = await jobDetail(root, id);
      expect(detail.job.state).toBe('rejected');
      expect(detail.job.last_error).toMatch(/remix\.stems: every stem is at level 0 or not named/);
      expect(detail.job.last_error).toMatch(/give at least one stem a level above 0/);
      expect((await readManifest(root, 'song')).artifacts).toEqual(before.artifacts);
    },
    120_000,
  );
});

// A remix of an output the earlier Python version wrote (listed like ours) failed as "job X has no published
// outputs (outputs/X/manifest.json)", though that manifest was right there: it has no stems in the cache.
describe('a mix of an output the earlier version wrote', () => {
  it('fails at once saying the job was made by the earlier version and what to do, its outputs untouched', async () => {
    const out = join(root, 'outputs', 'pyout_inst_003');
    await materializeLegacySample('outputs/pyout_inst_003', out);
    const manifest = await readFile(join(out, 'manifest.json'), 'utf8');
    await publishV1(
      root,
      'other',
      {
        job_id: 'remix_legacy',
        source_type: 'remix',
        artist: 'Py Deezer',
        title: 'Only Inst',
        remix: { of: 'pyout_inst_003', variant: 'my_mix', stems: { vocals: 1 } },
      },
      {},
    );
    const result = await imk(['run', '--once', '--root', root]);
    expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ failed: 1 });
    const detail = await jobDetail(root, 'remix_legacy');
    expect(detail.errors[0]).toMatchObject({ retryable: false });
    expect(detail.errors[0]!.message).toMatch(/REMIX_SOURCE_LEGACY/);
    expect(detail.errors[0]!.message).toContain(
      'job pyout_inst_003 was made by the earlier instrumental-maker',
    );
    expect(detail.errors[0]!.message).toContain('add the song again to mix it');
    expect(await readFile(join(out, 'manifest.json'), 'utf8')).toBe(manifest);
  }, 120_000);
});

// With PRESERVE_STEMS=true the earlier version left its four stems in files/stems/: a mix of such a job
// failed all the same (REMIX_SOURCE_LEGACY, "add the song again").
describe('a mix of an earlier-version output that kept its stems', () => {
  it('is made from those stems as a job of its own, the earlier folder left exactly as it was', async () => {
    const out = join(root, 'outputs', 'pyout_audio_001');
    const listed = await materializeLegacySample('outputs/pyout_audio_001', out);
    const before = new Map<string, string>();
    for (const file of ['manifest.json', ...listed]) before.set(file, await sha256(join(out, file)));
    await publishV1(
      root,
      'other',
      {
        job_id: 'remix_legacy_stems',
        source_type: 'remix',
        artist: 'Py Artist',
        title: 'Py Song',
        remix: { of: 'pyout_audio_001', variant: 'drums_bass', stems: { drums: 1, bass: 1 } },
      },
      {},
    );
    const result = await imk(['run', '--once', '--root', root]);
    expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 1 });
    const manifest = await readManifest(root, 'remix_legacy_stems');
    expect(manifest).toMatchObject({ artist: 'Py Artist', album: 'Py Album', title: 'Py Song' });
    expect(manifest.artifacts).toHaveLength(1);
    expect(manifest.artifacts[0]).toMatchObject({
      kind: 'audio',
      variant: 'drums_bass',
      stem_gains: { drums: 1, bass: 1 },
    });
    expect(manifest.artifacts[0]!.duration_sec).toBeCloseTo(5, 0);
    // The mix is the two stems' tones (the samples' stems are sines of different pitch), not silence.
    expect(manifest.artifacts[0]!.loudness?.integrated_lufs ?? -70).toBeGreaterThan(-40);
    expect(manifest.warnings.join(' ')).toContain('outputs/pyout_audio_001/files/stems/');
    for (const [file, digest] of before) expect(await sha256(join(out, file)), file).toBe(digest);
  }, 120_000);

  // That mix is a job of ours, but a mix of it failed: its stems were in no stem cache (STEMS_NOT_CACHED,
  // "separate it again": there was no song to separate).
  it.each([
    ['with its stems in the stem cache', false],
    ['after the stem cache was emptied (cleanup, another host): from the earlier folder again', true],
  ])(
    'can be mixed again like a job of ours, %s',
    async (_, emptyCache) => {
      const out = join(root, 'outputs', 'pyout_audio_001');
      const before = new Map<string, string>();
      for (const file of await readdir(out, { recursive: true }))
        if (file.endsWith('.json') || file.endsWith('.wav') || file.endsWith('.m4a'))
          before.set(file, await sha256(join(out, file)));
      if (emptyCache) await rm(join(root, 'state', 'cache', 'stems'), { recursive: true, force: true });
      const variant = emptyCache ? 'vocals_again' : 'vocals_only';
      await publishV1(
        root,
        'other',
        {
          job_id: `remix_of_remix_${variant}`,
          source_type: 'remix',
          artist: 'Py Artist',
          title: 'Py Song',
          remix: { of: 'remix_legacy_stems', variant, stems: { vocals: 1 } },
        },
        {},
      );
      const result = await imk(['run', '--once', '--root', root]);
      expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 1 });
      const manifest = await readManifest(root, 'remix_legacy_stems');
      expect(manifest.artifacts.map((a) => a.variant)).toEqual(
        expect.arrayContaining(['drums_bass', variant]),
      );
      const mix = manifest.artifacts.find((a) => a.variant === variant)!;
      expect(mix).toMatchObject({ kind: 'audio', stem_gains: { vocals: 1 } });
      expect(mix.loudness?.integrated_lufs ?? -70).toBeGreaterThan(-40);
      for (const [file, digest] of before) expect(await sha256(join(out, file)), file).toBe(digest);
    },
    120_000,
  );
});
