import { copyFile, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacySample } from '@imk/media/legacy-samples';
import { PITCH_LIMITS, TEMPO_LIMITS } from '@imk/protocol';
import { makeArchivedOutput, servedTempRoot } from './helpers.ts';

// Saving a mix through the API, for a published job whose stems this host lacks but whose song is archived
// (job_elsewhere: the worker separates it again for a mix): what is refused before anything is queued.
const served = servedTempRoot();
beforeAll(() => makeArchivedOutput(served.root, 'job_elsewhere'));

const post = (path: string, body: unknown) =>
  fetch(`${served.web.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

// Every fader down (or the master at 0) sent levels that were all 0: the mix was queued and the worker spun
// on it forever. Refused here, before anything is queued, saying what to do (a mix of job_elsewhere is
// queued when its levels are not all 0).
describe('a mix whose every stem is silent', () => {
  it.each([
    ['every level 0', { vocals: 0, drums: 0, bass: 0, other: 0 }],
    ['no stem named', {}],
  ])('is refused (%s) naming the stems and what to do; nothing is queued', async (_, stems) => {
    const queued = async () =>
      (await readdir(join(served.root, 'queues', 'other')).catch(() => [])).filter((n) =>
        n.includes('silent'),
      );
    const before = await queued();
    const answer = await post('/api/jobs/job_elsewhere/mix', { variant: 'silent', stems });
    expect(answer.status).toBe(400);
    const body = (await answer.json()) as { error: string; message: string };
    expect(body.error).toBe('INVALID_MIX');
    expect(body.message).toMatch(/^stems: every stem is at level 0 or not named, so the mix would be silent/);
    expect(body.message).toMatch(/give at least one stem a level above 0/);
    expect(await queued()).toEqual(before);
  });
});

// The page's "save without listening" refuses an empty level (it was sent as 0, silent); a program sending
// one as "" or null is refused the same way, naming the stem, never read as a silent stem.
describe('a level that is not a number', () => {
  it.each([[''], [null], ['1']])(
    '%j is refused (400 INVALID_MIX) naming the stem; nothing is queued',
    async (level) => {
      const answer = await post('/api/jobs/job_elsewhere/mix', {
        variant: 'blank_level',
        stems: { vocals: level, bass: 1 },
      });
      expect(answer.status).toBe(400);
      const body = (await answer.json()) as { error: string; message: string };
      expect(body.error).toBe('INVALID_MIX');
      expect(body.message).toMatch(/^stems\.vocals: /);
      const queued = (await readdir(join(served.root, 'queues', 'other')).catch(() => [])).filter((n) =>
        n.endsWith('_blank_level'),
      );
      expect(queued).toEqual([]);
    },
  );
});

// A mix named like one of the job's own variants ("instrumental", or "no_drums" at the key it was made in)
// was queued and answered 202, so the page said "Saved"; the worker then refused it (REMIX_NAME_TAKEN) and
// the page never said so. Refused here, naming the file, before anything is queued.
describe("a mix named like one of the job's own variants", () => {
  it.each([
    ['instrumental', {}, 'files/audio/Test Artist - Sine Song.m4a'],
    ['no_drums', { pitch: 0, tempo: 1 }, 'files/audio/Test Artist - Sine Song (no drum).m4a'],
  ])(
    '"%s" %o is refused (422 REMIX_NAME_TAKEN) naming the file; nothing is queued',
    async (variant, extra, path) => {
      const queued = async () =>
        (await readdir(join(served.root, 'queues', 'other')).catch(() => [])).filter((n) =>
          n.endsWith(`_${variant}`),
        );
      const answer = await post('/api/jobs/job_elsewhere/mix', { variant, stems: { bass: 1 }, ...extra });
      expect(answer.status).toBe(422);
      const body = (await answer.json()) as { error: string; message: string };
      expect(body.error).toBe('REMIX_NAME_TAKEN');
      expect(body.message).toContain(`the mix "${variant}" would replace job job_elsewhere's own`);
      expect(body.message).toContain(`(${path}); save the mix under another name`);
      expect(await queued()).toEqual([]);
    },
  );

  it('at another key it is a file of its own, and is queued', async () => {
    const answer = await post('/api/jobs/job_elsewhere/mix', {
      variant: 'instrumental',
      stems: { bass: 1 },
      pitch: -2,
    });
    expect(answer.status).toBe(202);
  });
});

// Two saves of one name close together (a double click, two tabs): the worker kept whichever it ran last,
// not the one clicked last. The second is refused while the first waits or runs.
describe('a mix saved again while its first save is still queued', () => {
  it('is refused (409 REMIX_PENDING) naming the job to wait for; another name or key is queued', async () => {
    const first = await post('/api/jobs/job_elsewhere/mix', { variant: 'twice', stems: { bass: 1 } });
    expect(first.status).toBe(202);
    const queued = (await first.json()) as { job_id: string; variant: string };
    expect(queued.variant).toBe('twice');
    const again = await post('/api/jobs/job_elsewhere/mix', { variant: 'twice', stems: { drums: 1 } });
    expect(again.status).toBe(409);
    const body = (await again.json()) as { error: string; message: string };
    expect(body.error).toBe('REMIX_PENDING');
    expect(body.message).toBe(
      `variant: the mix "twice" of job job_elsewhere is already being saved (job ${queued.job_id}, queue other); wait until it is done, then save again to replace it`,
    );
    const bundles = await readdir(join(served.root, 'queues', 'other'));
    expect(bundles.filter((n) => n.endsWith('_twice'))).toHaveLength(1);
    // At another key it is another file: queued.
    const lower = await post('/api/jobs/job_elsewhere/mix', {
      variant: 'twice',
      stems: { bass: 1 },
      pitch: -2,
    });
    expect(lower.status).toBe(202);
    expect(((await lower.json()) as { variant: string }).variant).toBe('twice@-2');
  });
});

// Two mixes whose names differ but that the worker writes to one file (tempo 0.8999 and 0.9 are both
// "(90% tempo)"; "two__names" and "two_names" both "(two names)"): both were queued, the check comparing
// names, and the worker refused the second at that file after the page had said "saving". Compared by the
// file (@imk/protocol sameMixFile).
describe('a mix written to the same file as a save still queued', () => {
  it.each([
    [{ variant: 'close', tempo: 0.8999 }, { variant: 'close', tempo: 0.9 }, 'close@0.8999x', 'close@0.9x'],
    [{ variant: 'two__names' }, { variant: 'two_names' }, 'two__names', 'two_names'],
    [{ variant: 'lower', pitch: -2 }, { variant: 'lower', pitch: -2, tempo: 1 }, 'lower@-2', 'lower@-2'],
  ])('%o then %o: the second is refused (409 REMIX_PENDING) naming both', async (a, b, first, second) => {
    const queued = await post('/api/jobs/job_elsewhere/mix', { ...a, stems: { bass: 1 } });
    expect(queued.status).toBe(202);
    const job = ((await queued.json()) as { job_id: string }).job_id;
    const again = await post('/api/jobs/job_elsewhere/mix', { ...b, stems: { drums: 1 } });
    const body = (await again.json()) as { error: string; message: string };
    expect(again.status, body.message).toBe(409);
    expect(body.error).toBe('REMIX_PENDING');
    expect(body.message).toBe(
      first === second
        ? `variant: the mix "${first}" of job job_elsewhere is already being saved (job ${job}, queue other); wait until it is done, then save again to replace it`
        : `variant: the mix "${second}" of job job_elsewhere would be written to the same file as "${first}", which is already being saved (job ${job}, queue other); wait until it is done, or save the mix under another name`,
    );
    const bundles = await readdir(join(served.root, 'queues', 'other'));
    expect(bundles.filter((n) => n.endsWith(`_${b.variant}`) || n.endsWith(`_${a.variant}`))).toHaveLength(1);
  });
});

// Two tabs (or a double click) saving one name at the same moment: each looked for a waiting save, found
// none, and queued its own; the worker kept whichever it ran last. One is queued, the other refused.
describe('a mix saved from two tabs at the same moment', () => {
  it('is queued once; the other save is refused (409 REMIX_PENDING) naming the job', async () => {
    const answers = await Promise.all(
      ['bass', 'drums', 'other'].map((stem) =>
        post('/api/jobs/job_elsewhere/mix', { variant: 'same_moment', stems: { [stem]: 1 } }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409, 409]);
    const bundles = await readdir(join(served.root, 'queues', 'other'));
    expect(bundles.filter((n) => n.endsWith('_same_moment'))).toHaveLength(1);
  });
});

// Past the key and tempo limits (the page reads what is typed; a program sends any number): refused at the
// save naming the field and the whole range, nothing queued. At the limits themselves the worker makes the
// mix (services/instrumental-maker/test/remix-edges.test.ts).
describe('a key or tempo past its limit', () => {
  it.each([
    [{ pitch: PITCH_LIMITS.min - 1 }, `pitch: must be between ${PITCH_LIMITS.min} and ${PITCH_LIMITS.max}`],
    [{ pitch: PITCH_LIMITS.max + 1 }, `pitch: must be between ${PITCH_LIMITS.min} and ${PITCH_LIMITS.max}`],
    [
      { tempo: TEMPO_LIMITS.min - 0.01 },
      `tempo: must be between ${TEMPO_LIMITS.min} and ${TEMPO_LIMITS.max}`,
    ],
    [
      { tempo: TEMPO_LIMITS.max + 0.01 },
      `tempo: must be between ${TEMPO_LIMITS.min} and ${TEMPO_LIMITS.max}`,
    ],
  ])(
    '%o is refused (400 INVALID_MIX) naming the field and its range; nothing is queued',
    async (edge, says) => {
      const answer = await post('/api/jobs/job_elsewhere/mix', {
        variant: 'past_limit',
        stems: { bass: 1 },
        ...edge,
      });
      expect(answer.status).toBe(400);
      const body = (await answer.json()) as { error: string; message: string };
      expect(body).toEqual({ error: 'INVALID_MIX', message: says });
      const queued = (await readdir(join(served.root, 'queues', 'other')).catch(() => [])).filter((n) =>
        n.endsWith('_past_limit'),
      );
      expect(queued).toEqual([]);
    },
  );
});

// A name that meets one of the job's files only at its file name ("no_drum" is written "(no drum)", as
// no_drums is): the worker refused it after the page had queued it and said "saved". With the job's format
// in its manifest, the dashboard applies the worker's rule (one home: @imk/protocol mix-file.ts) first.
describe("a mix whose file name is one of the job's files", () => {
  it('is refused (422 REMIX_NAME_TAKEN) naming the file; at another key it is queued', async () => {
    const file = join(served.root, 'outputs', 'job_elsewhere', 'manifest.json');
    const manifest = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...manifest, options: { output_format: 'm4a' } }));
    try {
      const answer = await post('/api/jobs/job_elsewhere/mix', { variant: 'no_drum', stems: { bass: 1 } });
      const body = (await answer.json()) as { error: string; message: string };
      expect(answer.status, body.message).toBe(422);
      expect(body).toEqual({
        error: 'REMIX_NAME_TAKEN',
        message:
          'variant: the mix "no_drum" would be written as files/audio/Test Artist - Sine Song (no drum).m4a, which is job job_elsewhere\'s Instrumental (no drum) (no_drums); save the mix under another name',
      });
      const queued = await readdir(join(served.root, 'queues', 'other'));
      expect(queued.filter((n) => n.endsWith('_no_drum'))).toEqual([]);
      const lower = await post('/api/jobs/job_elsewhere/mix', {
        variant: 'no_drum',
        stems: { bass: 1 },
        pitch: 1,
      });
      expect(lower.status).toBe(202);
    } finally {
      await writeFile(file, JSON.stringify(manifest));
    }
  });
});

// A manifest that does not say the job's format (`options.output_format`), its files named as the earlier
// version named its variants (legacy-samples/outputs/pyout_audio_001: "Artist - Title (no drums).m4a"): a mix
// named "no__drums" (or "drums__only") is written under that very name. The dashboard judged nothing without the
// format and queued it; the worker, writing m4a, refused it later. Refused now, at the save, naming the field.
describe("a mix whose file name is one of the job's files, the manifest not saying the job's format", () => {
  const file = () => join(served.root, 'outputs', 'job_elsewhere', 'manifest.json');
  let original = '';
  beforeAll(async () => {
    original = await readFile(file(), 'utf8');
    const earlier = JSON.parse(
      await readFile(legacySample('outputs', 'pyout_audio_001', 'manifest.json'), 'utf8'),
    ) as { artifacts: { kind: string; variant: string; label: string; path: string }[] };
    const manifest = JSON.parse(original) as { artifacts: { variant: string; path: string }[] };
    const dir = join(served.root, 'outputs', 'job_elsewhere');
    const audio = manifest.artifacts[0]!;
    // The earlier version's variants and labels, named for this job's song (its files there, with our fields).
    const artifacts = [];
    for (const a of earlier.artifacts.filter((x) => x.kind === 'audio')) {
      const path = a.path.replace('Py Artist - Py Song', 'Test Artist - Sine Song');
      if (path !== audio.path) await copyFile(join(dir, audio.path), join(dir, path));
      artifacts.push({ ...audio, variant: a.variant, label: a.label, path });
    }
    const { options: _none, ...rest } = manifest as Record<string, unknown>;
    await writeFile(file(), JSON.stringify({ ...rest, artifacts }));
  });
  afterAll(() => writeFile(file(), original));

  it.each([
    ['no__drums', 'files/audio/Test Artist - Sine Song (no drums).m4a', 'Instrumental (no drums) (no_drums)'],
    ['drums__only', 'files/audio/Test Artist - Sine Song (drums only).m4a', 'Drums only (drums_only)'],
  ])(
    '"%s" is refused (422 REMIX_NAME_TAKEN) naming the field and the file; nothing is queued',
    async (variant, path, what) => {
      const answer = await post('/api/jobs/job_elsewhere/mix', { variant, stems: { bass: 1 } });
      const body = (await answer.json()) as { error: string; message: string };
      expect(answer.status, body.message).toBe(422);
      expect(body).toEqual({
        error: 'REMIX_NAME_TAKEN',
        message: `variant: the mix "${variant}" would be written under the name of ${path}, which is job job_elsewhere's ${what}; save the mix under another name`,
      });
      const queued = await readdir(join(served.root, 'queues', 'other')).catch(() => []);
      expect(queued.filter((n) => n.endsWith(`_${variant}`))).toEqual([]);
    },
  );

  it('a name its file name tells apart is queued (202)', async () => {
    const answer = await post('/api/jobs/job_elsewhere/mix', {
      variant: 'no_drums_soft',
      stems: { bass: 1 },
    });
    expect(answer.status).toBe(202);
  });
});

// A mix whose file is already saved: the same mix saved again (its file, its levels), or another mix the
// worker writes to that file (tempo 0.9 after 0.8999, both "(90% tempo)"; "duet_mix" after "duet__mix").
// Both were queued and answered 202: the first was made again for nothing, the second refused by the worker
// after the page said "saving" (and, without the format in the manifest, never before). Said at once, by the
// worker's rule (@imk/protocol mixFileVerdict); nothing is queued.
describe('a mix whose file is already saved', () => {
  const file = () => join(served.root, 'outputs', 'job_elsewhere', 'manifest.json');
  const karaoke = 'files/audio/Test Artist - Sine Song (karaoke) (90% tempo).m4a';
  const duet = 'files/audio/Test Artist - Sine Song (duet mix).m4a';
  let original: string;
  beforeAll(async () => {
    original = await readFile(file(), 'utf8');
    const manifest = JSON.parse(original) as { artifacts: Record<string, unknown>[] };
    const like = manifest.artifacts[0]!;
    manifest.artifacts.push(
      {
        ...like,
        variant: 'karaoke@0.8999x',
        label: 'Mix: karaoke',
        path: karaoke,
        tempo: 0.8999,
        stem_gains: { bass: 1, other: 0.5 },
      },
      { ...like, variant: 'duet__mix', label: 'Mix: duet  mix', path: duet, stem_gains: { vocals: 1 } },
    );
    // No output_format: a manifest that does not say the job's format (the check does not need it).
    await writeFile(file(), JSON.stringify(manifest));
  });
  afterAll(() => writeFile(file(), original));
  const queued = async () =>
    (await readdir(join(served.root, 'queues', 'other')).catch(() => [])).filter((n) =>
      /_(karaoke|duet_mix|duet__mix)$/.test(n),
    );

  it.each([
    [
      'the same settings',
      { variant: 'karaoke', tempo: 0.8999, stems: { bass: 1, other: 0.5 } },
      'karaoke@0.8999x',
      karaoke,
    ],
    [
      'its tempo spelled otherwise',
      { variant: 'karaoke', tempo: 0.9, stems: { other: 0.5, bass: 1, vocals: 0 } },
      'karaoke@0.8999x',
      karaoke,
    ],
    ['a name the file cannot tell apart', { variant: 'duet_mix', stems: { vocals: 1 } }, 'duet__mix', duet],
  ])(
    'saved again with %s: 200 "already saved" with the file; nothing is queued',
    async (_, body, variant, path) => {
      const answer = await post('/api/jobs/job_elsewhere/mix', body);
      const json = (await answer.json()) as Record<string, unknown>;
      expect(answer.status, JSON.stringify(json)).toBe(200);
      expect(json).toEqual({
        already: true,
        job_id: 'job_elsewhere',
        variant,
        path,
        message: `the mix "${variant}" is already saved at these levels as ${path}: nothing was queued`,
      });
      expect(await queued()).toEqual([]);
    },
  );

  it.each([
    [
      { variant: 'karaoke', tempo: 0.9, stems: { drums: 1 } },
      `tempo: the mix "karaoke@0.9x" would be written to ${karaoke}, the file of the mix "karaoke@0.8999x" saved before (file names give the tempo to 0.1%); save it at tempo 0.8999 to replace that mix, or choose a tempo its file name tells apart (one that differs by 0.001 or more)`,
    ],
    [
      { variant: 'duet_mix', stems: { drums: 1 } },
      `variant: the mix "duet_mix" would be written to ${duet}, the file of the mix "duet__mix" saved before (file names cannot tell "duet_mix" from "duet__mix"); save it as "duet__mix" to replace that mix, or under another name`,
    ],
  ])(
    'another mix at that file %o is refused (422) naming the field to change; nothing is queued',
    async (body, message) => {
      const answer = await post('/api/jobs/job_elsewhere/mix', body);
      expect(answer.status).toBe(422);
      expect(await answer.json()).toEqual({ error: 'REMIX_NAME_TAKEN', message });
      expect(await queued()).toEqual([]);
    },
  );

  it('saved again under its own name at other levels, it is queued (it replaces the earlier save)', async () => {
    const answer = await post('/api/jobs/job_elsewhere/mix', {
      variant: 'karaoke',
      tempo: 0.8999,
      stems: { drums: 1 },
    });
    expect(answer.status).toBe(202);
    const queued = (await answer.json()) as { variant: string; job_id: string };
    expect(queued.variant).toBe('karaoke@0.8999x');
    // While that save is on its way, the levels saved before are no longer "already saved": it replaces them.
    const before = await post('/api/jobs/job_elsewhere/mix', {
      variant: 'karaoke',
      tempo: 0.8999,
      stems: { bass: 1, other: 0.5 },
    });
    expect(before.status).toBe(409);
    expect(((await before.json()) as { message: string }).message).toContain(
      `(job ${queued.job_id}, queue other)`,
    );
  });
});
