// @ts-check
// The mixer's sound: every stem of the song plays in sync through Web Audio (one AudioContext, one
// AudioBufferSourceNode per stem, all started at the same context time), each through its own GainNode
// (level, mute, solo) into a master GainNode and an analyser, which also tells when what is heard clips.

/**
 * @typedef {{ name: string, gain: GainNode, analyser: AnalyserNode, level: number, muted: boolean,
 *   soloed: boolean, buffer: AudioBuffer, source?: AudioBufferSourceNode }} Channel
 */

/** What the page (and its tests) can read of the mixer that is open. */
export const mixerState = {
  /** @type {AudioContext | undefined} */
  context: undefined,
  /** @type {Channel[]} */
  channels: [],
  /** @type {GainNode | undefined} */
  master: undefined,
  /** @type {AnalyserNode | undefined} */
  analyser: undefined,
  /** The context time all stems were started at (undefined: stopped). */
  /** @type {number | undefined} */
  startedAt: undefined,
  /** The offset into the song at that time, in seconds. */
  offset: 0,
};

/** How often the master's peak is looked at while playing, in ms. */
const CLIP_CHECK_MS = 100;
/** How long "clipping" stays said after the last peak past full scale, in seconds of the song. */
const CLIP_HOLD_SEC = 1.5;
/** @type {ReturnType<typeof setInterval> | undefined} */
let clipWatch;
/** The context time of the last peak past full scale heard (undefined: none yet). */
/** @type {number | undefined} */
let clippedAt;
/** @type {HTMLElement | undefined} */
let clipNote;

/** Where "clipping" is said (the open mixer's note), or undefined when none is open. */
export function setClipNote(/** @type {HTMLElement | undefined} */ note) {
  clipNote = note;
}

/**
 * Says while what is heard goes past full scale: the stems' levels and the master add up to more than the
 * sound card takes (it clips; the worker turns a saved mix down instead). Read from the master analyser,
 * before the output clips.
 */
function checkClipping() {
  const { analyser, context } = mixerState;
  if (!analyser || !context || !clipNote) return;
  const data = new Float32Array(analyser.fftSize);
  analyser.getFloatTimeDomainData(data);
  let peak = 0;
  for (const x of data) peak = Math.max(peak, Math.abs(x));
  if (peak > 1) clippedAt = context.currentTime;
  clipNote.hidden = clippedAt === undefined || context.currentTime - clippedAt > CLIP_HOLD_SEC;
}

/** The level a stem plays at now: 0 when muted, or when another stem is soloed and it is not. */
export function effectiveLevel(/** @type {Channel} */ channel) {
  const anySolo = mixerState.channels.some((c) => c.soloed);
  if (channel.muted || (anySolo && !channel.soloed)) return 0;
  return channel.level;
}

export function applyLevels() {
  const context = mixerState.context;
  if (!context) return;
  for (const channel of mixerState.channels)
    channel.gain.gain.setValueAtTime(effectiveLevel(channel), context.currentTime);
}

/** Where each stem is in the song, in seconds (the same for all: they were started together). */
export function positions() {
  const { context, startedAt, offset } = mixerState;
  // One reading of the clock for all: the audio thread moves context.currentTime on between two reads.
  const now = context?.currentTime;
  return Object.fromEntries(
    mixerState.channels.map((c) => [
      c.name,
      now !== undefined && startedAt !== undefined && c.source ? offset + now - startedAt : offset,
    ]),
  );
}

/**
 * The master output's level (dB) at each frequency, from its analyser: what is heard now.
 * @param {number[]} frequencies
 */
export function levelsAt(frequencies) {
  const { analyser, context } = mixerState;
  if (!analyser || !context) return [];
  const data = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(data);
  const binHz = context.sampleRate / analyser.fftSize;
  return frequencies.map((f) => {
    const at = Math.round(f / binHz);
    let best = -Infinity;
    for (let i = Math.max(0, at - 2); i <= Math.min(data.length - 1, at + 2); i++)
      best = Math.max(best, data[i] ?? -Infinity);
    return best;
  });
}

export function stop() {
  clearInterval(clipWatch);
  clipWatch = undefined;
  const { context } = mixerState;
  if (context && mixerState.startedAt !== undefined)
    mixerState.offset += context.currentTime - mixerState.startedAt;
  for (const channel of mixerState.channels) {
    channel.source?.stop();
    channel.source?.disconnect();
    channel.source = undefined;
  }
  mixerState.startedAt = undefined;
}

/** Starts every stem at one context time, a little ahead, so they are sample-aligned. */
export async function play() {
  const context = mixerState.context;
  if (!context) return;
  await context.resume();
  stop();
  const duration = Math.min(...mixerState.channels.map((c) => c.buffer.duration));
  if (mixerState.offset >= duration) mixerState.offset = 0;
  const when = context.currentTime + 0.05;
  for (const channel of mixerState.channels) {
    const source = new AudioBufferSourceNode(context, { buffer: channel.buffer });
    source.connect(channel.gain);
    source.start(when, mixerState.offset);
    channel.source = source;
  }
  mixerState.startedAt = when;
  clippedAt = undefined;
  clipWatch = setInterval(checkClipping, CLIP_CHECK_MS);
}
