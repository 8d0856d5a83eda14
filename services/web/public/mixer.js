// @ts-check
// The stem mixer on the job page: loads the job's cached stems (mixer-audio.js plays them, mixer-controls.js
// draws their controls and saves a mix), or says why there are none (mixer-missing.js).
import { api, errorText, h } from './lib.js';
import { mixerState, setClipNote, stop } from './mixer-audio.js';
import { renderControls } from './mixer-controls.js';
import { renderMissing } from './mixer-missing.js';

// What the page's tests read of the mixer that is open: where each stem is, what the master hears.
export { levelsAt, mixerState, positions } from './mixer-audio.js';

/**
 * @typedef {import('../src/api-types.ts').MixerResponse} MixerResponse
 * @typedef {import('./mixer-audio.js').Channel} Channel
 */

/** @type {string | undefined} */
let mountedJob;
/** Counts the mixer's mounts: a mount's own number tells whether it is still the one open. */
let mounts = 0;
/**
 * The mount that was told "no stems" (available: false): the page's refresh asks again, as that may have
 * been a moment's answer (the job's outputs being replaced by a saved mix), not "gone".
 * @type {number | undefined}
 */
let missingMount;
/** A refresh's question is on its way: the next refresh does not ask too. */
let askingAgain = false;

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
 * The mixer of `jobId` said "no stems": asks the server again, and opens the mixer if they are there now.
 * What it says stays otherwise (a "Separate again" under way, a mix typed without listening).
 * @param {string} jobId
 * @param {HTMLElement} box
 */
async function askAgain(jobId, box) {
  if (askingAgain) return;
  askingAgain = true;
  const mount = mounts;
  try {
    /** @type {MixerResponse} */
    const info = await api(`/api/jobs/${encodeURIComponent(jobId)}/mixer`);
    if (info.available && mounts === mount && mountedJob === jobId) {
      mountedJob = undefined;
      void mountMixer(jobId, box).catch(() => undefined);
    }
  } catch {
    // Asked again at the next refresh.
  } finally {
    askingAgain = false;
  }
}

/**
 * Opens the mixer of job `jobId` in `box` (once per job): loads the cached stems, or says why there are
 * none (the stem cache was cleaned up). Called again by each refresh of the page: a mixer that was told
 * there are no stems asks again then, and opens once they are there.
 * @param {string} jobId
 * @param {HTMLElement} box
 */
export async function mountMixer(jobId, box) {
  if (mountedJob === jobId) {
    if (missingMount === mounts) await askAgain(jobId, box);
    return;
  }
  unmountMixer(box);
  mountedJob = jobId;
  const mount = ++mounts;
  const open = () => mountedJob === jobId && mounts === mount;
  const remount = () => {
    mountedJob = undefined;
    void mountMixer(jobId, box).catch(() => undefined);
  };
  /** @param {MixerResponse} missing */
  const showMissing = (missing) => {
    missingMount = mount;
    renderMissing(jobId, box, missing, open, remount);
  };
  box.hidden = false;
  box.replaceChildren(h('h2', {}, 'Mixer'), h('p', { class: 'note' }, 'loading the stems…'));
  /** @type {MixerResponse} */
  let info;
  try {
    info = await api(`/api/jobs/${encodeURIComponent(jobId)}/mixer`);
  } catch (error) {
    if (open()) renderLoadFailed(box, error, remount);
    return;
  }
  if (!open()) return;
  if (!info.available) {
    showMissing(info);
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
    if (!open()) return;
    // The stems may have left the cache since the answer above (retention cleaned it up): ask again, so
    // the page says so and offers to separate again rather than waiting for ever.
    /** @type {MixerResponse | undefined} */
    let now;
    try {
      now = await api(`/api/jobs/${encodeURIComponent(jobId)}/mixer`);
    } catch {
      now = undefined;
    }
    if (!open()) return;
    if (now && !now.available) showMissing(now);
    else renderLoadFailed(box, error, remount);
    return;
  }
  if (!open()) {
    void context.close();
    return;
  }
  Object.assign(mixerState, { context, channels, master, analyser, startedAt: undefined, offset: 0 });
  renderControls(jobId, box, channels, info.levelMax ?? Infinity, open);
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
  setClipNote(undefined);
  box.hidden = true;
  box.replaceChildren();
}
