// @ts-check
// The stem mixer on the job page: every stem of the song plays in sync through Web Audio (one
// AudioContext, one AudioBufferSourceNode per stem, all started at the same context time), each through
// its own GainNode (level, mute, solo) into a master GainNode and an analyser. "Save this mix" asks the
// server to render the same levels (plus key and tempo) from the cached stems as a new variant.
import { api, errorText, h, unreadNumberField } from './lib.js';
import { followMix } from './mix-follow.js';
import { renderMissing } from './mixer-missing.js';

/**
 * @typedef {import('../src/api-types.ts').MixerResponse} MixerResponse
 * @typedef {import('../src/api-types.ts').MixQueuedResponse} MixQueuedResponse
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

/** @type {string | undefined} */
let mountedJob;
/** How many saves were asked: the page follows only the last one. */
let saves = 0;

/**
 * A number field's value, or `empty` when it is cleared (or not a number).
 * @param {HTMLInputElement} input
 * @param {number} empty
 */
function numberOr(input, empty) {
  const text = input.value.trim();
  const value = Number(text);
  return text === '' || !Number.isFinite(value) ? empty : value;
}

/** The level a stem plays at now: 0 when muted, or when another stem is soloed and it is not. */
function effectiveLevel(/** @type {Channel} */ channel) {
  const anySolo = mixerState.channels.some((c) => c.soloed);
  if (channel.muted || (anySolo && !channel.soloed)) return 0;
  return channel.level;
}

function applyLevels() {
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

function stop() {
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
async function play() {
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

/**
 * @param {string} label
 * @param {number} min
 * @param {number} max
 * @param {number} step
 * @param {number} value
 * @param {(value: number) => void} onInput
 */
function slider(label, min, max, step, value, onInput) {
  const input = /** @type {HTMLInputElement} */ (
    h('input', { type: 'range', min, max, step, value, 'aria-label': label })
  );
  input.addEventListener('input', () => onInput(Number(input.value)));
  return input;
}

/**
 * @param {string} jobId
 * @param {HTMLElement} box
 * @param {Channel[]} channels
 */
function renderControls(jobId, box, channels) {
  const status = h('p', { class: 'note mixer-status', role: 'status' });
  clipNote = h(
    'p',
    { class: 'note error mixer-clip', role: 'status', hidden: true },
    'Clipping: the levels add up to more than full scale, so what you hear is distorted. Lower the master or the stems (a saved mix is turned down to fit instead, and the page says by how much).',
  );
  const rows = channels.map((channel) => {
    // Named with the stem: a screen reader otherwise reads four buttons all called "mute".
    const mute = h(
      'button',
      { type: 'button', class: 'mute', 'aria-pressed': 'false', 'aria-label': `mute ${channel.name}` },
      'mute',
    );
    const solo = h(
      'button',
      { type: 'button', class: 'solo', 'aria-pressed': 'false', 'aria-label': `solo ${channel.name}` },
      'solo',
    );
    mute.addEventListener('click', () => {
      channel.muted = !channel.muted;
      mute.setAttribute('aria-pressed', String(channel.muted));
      applyLevels();
    });
    solo.addEventListener('click', () => {
      channel.soloed = !channel.soloed;
      solo.setAttribute('aria-pressed', String(channel.soloed));
      applyLevels();
    });
    return h(
      'div',
      { class: 'mixer-stem', 'data-stem': channel.name },
      h('span', { class: 'name' }, channel.name),
      slider(`${channel.name} level`, 0, 2, 0.01, 1, (v) => {
        channel.level = v;
        applyLevels();
      }),
      mute,
      solo,
    );
  });
  const master = slider('master level', 0, 2, 0.01, 1, (v) => {
    if (mixerState.master && mixerState.context)
      mixerState.master.gain.setValueAtTime(v, mixerState.context.currentTime);
  });
  const name = /** @type {HTMLInputElement} */ (
    h('input', {
      type: 'text',
      class: 'mix-name',
      value: 'my_mix',
      'aria-label': 'name of the mix',
      pattern: '[a-z][a-z0-9_]*',
    })
  );
  const pitch = /** @type {HTMLInputElement} */ (
    h('input', {
      type: 'number',
      class: 'mix-pitch',
      min: -12,
      max: 12,
      step: 1,
      value: 0,
      'aria-label': 'key change in semitones',
    })
  );
  const tempo = /** @type {HTMLInputElement} */ (
    h('input', {
      type: 'number',
      class: 'mix-tempo',
      min: 0.5,
      max: 2,
      step: 0.05,
      value: 1,
      'aria-label': 'tempo factor',
    })
  );
  const save = h('button', { type: 'button', class: 'mix-save' }, 'Save this mix');
  const saveMix = async () => {
    // What is heard: each stem's level times the master level (the server takes 0…4 per stem).
    const masterLevel = Number(master.value);
    const stems = Object.fromEntries(
      channels.map((c) => [c.name, Math.min(4, Math.round(effectiveLevel(c) * masterLevel * 1e4) / 1e4)]),
    );
    /** @type {Record<string, unknown>} */
    const body = { variant: name.value.trim(), stems };
    // An empty field is no change (Number('') is 0: a cleared tempo field asked for tempo 0).
    const pitchValue = numberOr(pitch, 0);
    const tempoValue = numberOr(tempo, 1);
    if (pitchValue !== 0) body.pitch = pitchValue;
    if (tempoValue !== 1) body.tempo = tempoValue;
    const thisSave = ++saves;
    status.textContent = 'saving…';
    status.classList.remove('error');
    delete status.dataset.job;
    delete status.dataset.file;
    status.dataset.state = 'saving';
    // A field the browser cannot read as a number ("2-", "-", ".") has the value '' as an empty one: it
    // was saved as no change, at the song's own key or tempo. Said instead, and nothing is queued.
    const unread = unreadNumberField([
      { field: pitch, what: 'key', example: '-2' },
      { field: tempo, what: 'tempo', example: '0.8' },
    ]);
    if (unread) {
      status.textContent = `Could not save: the ${unread.what} field does not hold a number; write it as ${unread.example}, or empty it for no change`;
      status.dataset.state = 'failed';
      status.classList.add('error');
      return;
    }
    try {
      /** @type {MixQueuedResponse} */
      const queued = await api(`/api/jobs/${encodeURIComponent(jobId)}/mix`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      // Followed until the worker has made it (or refused it); a later save or another page stops this one.
      await followMix(jobId, queued, status, () => saves === thisSave && mountedJob === jobId);
    } catch (error) {
      status.textContent = `Could not save: ${errorText(error)}`;
      status.dataset.state = 'failed';
      status.classList.add('error');
    }
  };
  save.addEventListener('click', () => void saveMix());
  const playButton = h('button', { type: 'button', class: 'mix-play' }, 'Play');
  playButton.addEventListener('click', () => void play());
  const stopButton = h('button', { type: 'button', class: 'mix-stop' }, 'Stop');
  stopButton.addEventListener('click', stop);
  box.replaceChildren(
    h('h2', {}, 'Mixer'),
    h('div', { class: 'mixer-transport' }, playButton, stopButton, h('label', {}, 'master ', master)),
    clipNote,
    ...rows,
    h(
      'div',
      { class: 'mixer-save' },
      h('label', {}, 'name ', name),
      h('label', {}, 'key (semitones) ', pitch),
      h('label', {}, 'tempo ', tempo),
      save,
    ),
    h('p', { class: 'note' }, 'Key and tempo are applied when the mix is saved.'),
    status,
  );
}

/**
 * Fetches and decodes every stem, each through its own gain into `master`; throws when one cannot be had.
 * @param {AudioContext} context
 * @param {GainNode} master
 * @param {MixerResponse['stems']} stems
 * @returns {Promise<Channel[]>}
 */
function loadChannels(context, master, stems) {
  return Promise.all(
    stems.map(async (stem) => {
      const response = await fetch(stem.url, { credentials: 'same-origin' });
      if (!response.ok) throw new Error(`${stem.name}: HTTP ${response.status}`);
      const buffer = await context.decodeAudioData(await response.arrayBuffer());
      const gain = new GainNode(context, { gain: 1 });
      const stemAnalyser = new AnalyserNode(context, { fftSize: 2048 });
      gain.connect(stemAnalyser);
      gain.connect(master);
      /** @type {Channel} */
      const channel = {
        name: stem.name,
        gain,
        analyser: stemAnalyser,
        level: 1,
        muted: false,
        soloed: false,
        buffer,
      };
      return channel;
    }),
  );
}

/**
 * Says that the stems could not be loaded (the server did not answer, a stem did not decode), with a
 * button to try again: never "loading the stems…" for ever.
 * @param {HTMLElement} box
 * @param {unknown} error
 * @param {() => void} retry
 */
function renderLoadFailed(box, error, retry) {
  const button = h('button', { type: 'button', class: 'mixer-retry' }, 'Try again');
  button.addEventListener('click', retry);
  box.replaceChildren(
    h('h2', {}, 'Mixer'),
    h('p', { class: 'note error mixer-load-failed' }, `The stems could not be loaded: ${errorText(error)}`),
    button,
  );
}

/**
 * Opens the mixer of job `jobId` in `box` (once per job): loads the cached stems, or says why there are
 * none (the stem cache was cleaned up).
 * @param {string} jobId
 * @param {HTMLElement} box
 */
export async function mountMixer(jobId, box) {
  if (mountedJob === jobId) return;
  unmountMixer(box);
  mountedJob = jobId;
  box.hidden = false;
  box.replaceChildren(h('h2', {}, 'Mixer'), h('p', { class: 'note' }, 'loading the stems…'));
  const remount = () => {
    mountedJob = undefined;
    void mountMixer(jobId, box).catch(() => undefined);
  };
  /** @type {MixerResponse} */
  let info;
  try {
    info = await api(`/api/jobs/${encodeURIComponent(jobId)}/mixer`);
  } catch (error) {
    if (mountedJob === jobId) renderLoadFailed(box, error, remount);
    return;
  }
  if (mountedJob !== jobId) return;
  if (!info.available) {
    renderMissing(jobId, box, info, () => mountedJob === jobId, remount);
    return;
  }
  const context = new AudioContext();
  const master = new GainNode(context, { gain: 1 });
  const analyser = new AnalyserNode(context, { fftSize: 8192, smoothingTimeConstant: 0 });
  master.connect(analyser);
  analyser.connect(context.destination);
  /** @type {Channel[]} */
  let channels;
  try {
    channels = await loadChannels(context, master, info.stems);
  } catch (error) {
    void context.close();
    if (mountedJob !== jobId) return;
    // The stems may have left the cache since the answer above (retention cleaned it up): ask again, so
    // the page says so and offers to separate again rather than waiting for ever.
    /** @type {MixerResponse | undefined} */
    let now;
    try {
      now = await api(`/api/jobs/${encodeURIComponent(jobId)}/mixer`);
    } catch {
      now = undefined;
    }
    if (mountedJob !== jobId) return;
    if (now && !now.available) renderMissing(jobId, box, now, () => mountedJob === jobId, remount);
    else renderLoadFailed(box, error, remount);
    return;
  }
  if (mountedJob !== jobId) {
    void context.close();
    return;
  }
  Object.assign(mixerState, { context, channels, master, analyser, startedAt: undefined, offset: 0 });
  renderControls(jobId, box, channels);
}

/** Stops and closes the mixer (another job's page, or none). */
export function unmountMixer(/** @type {HTMLElement} */ box) {
  stop();
  void mixerState.context?.close();
  Object.assign(mixerState, {
    context: undefined,
    channels: [],
    master: undefined,
    analyser: undefined,
    offset: 0,
  });
  mountedJob = undefined;
  clipNote = undefined;
  box.hidden = true;
  box.replaceChildren();
}
