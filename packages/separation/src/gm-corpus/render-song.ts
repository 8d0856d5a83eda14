import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readAudio } from '@imk/media';
import { resolveTool } from '@imk/tools';
import type { StemName } from '@imk/protocol';
import { execa } from 'execa';
import type { PcmChannels, StemPcm } from '../engine.ts';
import { createPrng } from '../corpus/prng.ts';
import { addPanned, peak, rms, scaleInPlace, sumPcm } from '../corpus/stereo.ts';
import { drumPart } from './drums.ts';
import { renderMidi } from './fluidsynth.ts';
import { harmonyParts } from './harmony.ts';
import { midiFileBytes, type MidiPart } from './midi.ts';
import { planSong, type SongPlan } from './plan.ts';
import type { GmSongSpec } from './songs.ts';
import { vocalPart, type SpokenWord } from './vocals.ts';

export const GM_SAMPLE_RATE = 44100;
const MAX_PEAK = 0.9;
/** Seconds kept after the last bar: releases and reverb tails. */
const TAIL_SEC = 0.5;

/** What the song is made of, stored beside the audio (item.json) so a figure can be traced to its song. */
export interface GmSongDetails {
  plan: SongPlan;
  programs: { vocals: number; drumKit: number; bass: number; other: number[] };
  words: SpokenWord[];
  /** false when espeak-ng is not installed: the voice then only sings. */
  spoken: boolean;
}

export interface RenderedGmSong {
  stems: StemPcm;
  /** The exact float sum of the stems. */
  mixture: PcmChannels;
  frames: number;
  details: GmSongDetails;
}

/**
 * Renders one song: MIDI parts written from its seed, each stem rendered on its own by FluidSynth (so the
 * stems are exactly what the mixture is the sum of), spoken words added to the vocals, then every stem
 * set to the song's level for it. Deterministic for a given spec, FluidSynth, soundfont and espeak-ng.
 */
export async function renderGmSong(
  spec: GmSongSpec,
  soundfont: string,
  workDir: string,
  useSpeech: boolean,
): Promise<RenderedGmSong> {
  const seed = spec.seed * 8;
  const plan = planSong(spec.style, createPrng(seed + 1), spec.seconds);
  const drums = drumPart(plan, createPrng(seed + 2));
  const harmony = harmonyParts(plan, createPrng(seed + 3));
  const voice = vocalPart(plan, createPrng(seed + 4), spec.vocalShift);
  const frames = Math.round((plan.seconds + TAIL_SEC) * GM_SAMPLE_RATE);
  const parts: Record<StemName, MidiPart> = {
    vocals: voice.part,
    drums: drums.part,
    bass: harmony.bass,
    other: harmony.other,
  };
  const stems = {} as StemPcm;
  for (const [name, part] of Object.entries(parts) as [StemName, MidiPart][]) {
    const midi = join(workDir, `${name}.mid`);
    const wav = join(workDir, `${name}.wav`);
    await writeFile(midi, midiFileBytes(part.events, plan.bpm));
    await renderMidi(midi, wav, soundfont, { reverb: plan.reverb, sampleRate: GM_SAMPLE_RATE });
    const audio = await readAudio(wav, { sampleRate: GM_SAMPLE_RATE, channels: 2 });
    stems[name] = fit(audio.channels, frames);
  }
  if (useSpeech && voice.words.length > 0) {
    await addWords(stems.vocals, voice.words, plan, workDir, createPrng(seed + 5));
  }
  for (const [name, pcm] of Object.entries(stems) as [StemName, PcmChannels][]) {
    const level = rms(pcm);
    if (level > 0) scaleInPlace(pcm, 10 ** (plan.levelsDb[name] / 20) / level);
  }
  let mixture = sumPcm(Object.values(stems), frames);
  const top = peak(mixture);
  if (top > MAX_PEAK) {
    for (const pcm of Object.values(stems)) scaleInPlace(pcm, MAX_PEAK / top);
    mixture = sumPcm(Object.values(stems), frames);
  }
  const details: GmSongDetails = {
    plan,
    programs: {
      vocals: voice.program,
      drumKit: drums.kit,
      bass: harmony.programs.bass,
      other: harmony.programs.other,
    },
    words: useSpeech ? voice.words : [],
    spoken: useSpeech,
  };
  return { stems, mixture, frames, details };
}

/** Cut or zero-pad to `frames`. */
function fit(channels: PcmChannels, frames: number): PcmChannels {
  return [0, 1].map((c) => {
    const out = new Float32Array(frames);
    const src = channels[c] ?? channels[0] ?? new Float32Array(0);
    out.set(src.subarray(0, frames));
    return out;
  });
}

/** Speaks each word with espeak-ng (its own pitch and speed) into the vocal stem, as loud as the singing. */
async function addWords(
  vocals: PcmChannels,
  words: SpokenWord[],
  plan: SongPlan,
  workDir: string,
  rng: () => number,
): Promise<void> {
  const espeak = await resolveTool('espeak-ng');
  const sung = rms(vocals);
  const frames = vocals[0]!.length;
  const speech = new Float32Array(frames);
  for (const [n, word] of words.entries()) {
    const file = join(workDir, `word-${n}.wav`);
    const pitch = String(Math.round(30 + 40 * rng()));
    const speed = String(Math.round(130 + 40 * rng()));
    await execa(espeak, ['-v', 'en-us', '-p', pitch, '-s', speed, '-w', file, word.text], {
      stdin: 'ignore',
    });
    const mono = (await readAudio(file, { sampleRate: GM_SAMPLE_RATE, channels: 1 })).channels[0]!;
    const at = Math.round(((word.beat * 60) / plan.bpm) * GM_SAMPLE_RATE);
    for (let i = 0; i < mono.length && at + i < frames; i++) speech[at + i] = speech[at + i]! + mono[i]!;
  }
  let energy = 0;
  let active = 0;
  for (const v of speech) {
    if (v !== 0) {
      energy += v * v;
      active++;
    }
  }
  if (active === 0 || sung === 0) return;
  const gain = (sung * 1.5) / Math.sqrt(energy / active);
  addPanned(
    vocals,
    speech.map((v) => v * gain),
    plan.vocalPan,
  );
}
