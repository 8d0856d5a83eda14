import { join } from 'node:path';
import { readAudio } from '@imk/media';
import { resolveTool } from '@imk/tools';
import { execa } from 'execa';
import type { CorpusItemSpec } from './items.ts';
import type { Prng } from './prng.ts';

/** espeak-ng's version line, or undefined when it is not installed (the corpus then uses the sung voice). */
export async function espeakVersion(): Promise<string | undefined> {
  try {
    const espeak = await resolveTool('espeak-ng');
    const { stdout } = await execa(espeak, ['--version'], { stdin: 'ignore' });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

/**
 * The lyrics spoken by espeak-ng, one sentence after another with half a bar between them, starting
 * half a beat in; a new pitch and speed per sentence. Mono at `sampleRate`.
 */
export async function renderSpeechVoice(
  spec: CorpusItemSpec,
  sampleRate: number,
  frames: number,
  rng: Prng,
  workDir: string,
): Promise<Float32Array> {
  const espeak = await resolveTool('espeak-ng');
  const out = new Float32Array(frames);
  const sentences = spec.lyrics.split(/(?<=\.)\s+/).filter(Boolean);
  const beat = 60 / spec.bpm;
  let at = Math.round(0.5 * beat * sampleRate);
  for (let i = 0; at < frames && sentences.length > 0; i++) {
    const sentence = sentences[i % sentences.length] ?? '';
    const file = join(workDir, `speech-${i}.wav`);
    const pitch = String(Math.round(35 + 30 * rng()));
    const speed = String(Math.round(145 + 25 * rng()));
    await execa(espeak, ['-v', 'en-us', '-p', pitch, '-s', speed, '-w', file, sentence], { stdin: 'ignore' });
    const speech = (await readAudio(file, { sampleRate, channels: 1 })).channels[0] ?? new Float32Array(0);
    const length = Math.min(speech.length, frames - at);
    for (let n = 0; n < length; n++) out[at + n] = speech[n] ?? 0;
    at += speech.length + Math.round(2 * beat * sampleRate);
  }
  return out;
}
