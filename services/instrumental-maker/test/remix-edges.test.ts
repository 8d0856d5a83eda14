import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeMedia } from '@imk/media';
import { PITCH_LIMITS, TEMPO_LIMITS } from '@imk/protocol';
import { decodedDuration, imk, makeRoot, publishV1, readManifest, removeRoot } from './helpers.ts';

// Mixes saved from the mixer at the edges a musician reaches: a song under a second, mono, with no drums at
// all (tones only), written as FLAC and as WAV; the key and tempo at both limits. Each mix is made (real
// `imk run` workers, real separation, ffmpeg's rubberband), plays to its end, and is as long as the song at
// that tempo.
let root: string;
const SECONDS = 0.6;

beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, variants: ['instrumental'] });
  const song = join(root, 'short.wav');
  await execa('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=220:duration=${SECONDS}`],
    ...['-f', 'lavfi', '-i', `sine=frequency=660:duration=${SECONDS}`],
    ...['-filter_complex', 'amix=inputs=2:normalize=0,volume=0.4', '-ac', '1', song],
  ]);
  for (const format of ['flac', 'wav'])
    await publishV1(
      root,
      'other',
      {
        job_id: `short_${format}`,
        source_type: 'local',
        artist: 'A',
        title: `Short ${format}`,
        audio_path: 'short.wav',
        options: { output_format: format },
      },
      { 'short.wav': song },
    );
  const result = await imk(['run', '--once', '--root', root]);
  expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 2 });
}, 180_000);
afterAll(() => removeRoot(root));

const EDGES = [
  ['low', { pitch: PITCH_LIMITS.min }],
  ['high', { pitch: PITCH_LIMITS.max }],
  ['slow', { tempo: TEMPO_LIMITS.min }],
  ['fast', { tempo: TEMPO_LIMITS.max }],
  ['low_slow', { pitch: PITCH_LIMITS.min, tempo: TEMPO_LIMITS.min }],
  ['high_fast', { pitch: PITCH_LIMITS.max, tempo: TEMPO_LIMITS.max }],
  ['drums', { stems: { drums: 1 } }],
] as const;

// Every edge in FLAC; in WAV the two corners and the drums (each mix is a worker run of ~10 s here).
const CASES = {
  flac: EDGES,
  wav: EDGES.filter(([name]) => ['low_slow', 'high_fast', 'drums'].includes(name)),
};

describe.each(['flac', 'wav'] as const)('mixes of a mono 0.6 s song without drums, in %s', (format) => {
  beforeAll(async () => {
    for (const [name, edge] of CASES[format])
      await publishV1(
        root,
        'other',
        {
          job_id: `mix_${format}_${name}`,
          source_type: 'remix',
          artist: 'A',
          title: `Short ${format}`,
          remix: { of: `short_${format}`, variant: name, stems: { vocals: 0.5, bass: 1, other: 1 }, ...edge },
        },
        {},
      );
    const result = await imk(['run', '--once', '--root', root]);
    expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({
      succeeded: CASES[format].length,
      failed: 0,
    });
  }, 300_000);

  it.each(CASES[format])(
    '"%s" %o is made, plays to its end and lasts the song at its tempo',
    async (name, edge) => {
      const manifest = await readManifest(root, `short_${format}`);
      const mix = manifest.artifacts.find((a) => a.variant.split('@')[0] === name);
      expect(mix, manifest.artifacts.map((a) => a.variant).join(', ')).toBeDefined();
      const file = join(root, 'outputs', `short_${format}`, mix!.path);
      expect(mix!.path.endsWith(`.${format}`)).toBe(true);
      const tempo = 'tempo' in edge ? edge.tempo : 1;
      expect(await decodedDuration(file)).toBeCloseTo(SECONDS / tempo, 1);
      expect((await probeMedia(file)).audio?.channels).toBeGreaterThan(0);
    },
  );
});
