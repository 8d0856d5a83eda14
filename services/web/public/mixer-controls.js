// @ts-check
// The mixer's controls: a level slider, mute and solo per stem, the master level, play/stop, and "Save this
// mix", which asks the server to render the same levels (plus key and tempo) from the cached stems as a new
// variant, then follows that job until the worker has made it.
import { api, errorText, h, numberField, readNumberFields } from './lib.js';
import { followMix } from './mix-follow.js';
import { applyLevels, effectiveLevel, mixerState, play, setClipNote, stop } from './mixer-audio.js';

/**
 * @typedef {import('../src/api-types.ts').MixQueuedResponse | import('../src/api-types.ts').MixAlreadySavedResponse} MixSaveResponse
 * @typedef {import('./mixer-audio.js').Channel} Channel
 */

/** How many saves were asked: the page follows only the last one. */
let saves = 0;

/**
 * A level as heard, for a screen reader: "−6 dB" (U+2212), "+6 dB", "0 dB", or "silent" at 0.
 * @param {number} level  a gain (1: as separated)
 */
export function dbText(level) {
  if (level <= 0) return 'silent';
  const db = Math.round(200 * Math.log10(level)) / 10;
  if (db === 0) return '0 dB';
  return `${db > 0 ? '+' : '\u2212'}${Math.abs(db)} dB`;
}

/**
 * What a stem's slider says (aria-valuetext, where a screen reader said the bare "0.5"): "vocals −6 dB",
 * "vocals muted", "drums 0 dB, not heard: another stem is soloed".
 * @param {Channel} channel
 */
function stemLevelText(channel) {
  if (channel.muted) return `${channel.name} muted`;
  const said = `${channel.name} ${dbText(channel.level)}`;
  const silencedBySolo = !channel.soloed && mixerState.channels.some((c) => c.soloed);
  return silencedBySolo ? `${said}, not heard: another stem is soloed` : said;
}

/**
 * A level slider: 0…2, 1 as separated (its aria-valuetext set by the caller).
 * @param {string} label
 * @param {(value: number) => void} onInput
 */
function slider(label, onInput) {
  const input = /** @type {HTMLInputElement} */ (
    h('input', { type: 'range', min: 0, max: 2, step: 0.01, value: 1, 'aria-label': label })
  );
  input.addEventListener('input', () => onInput(Number(input.value)));
  return input;
}

/**
 * @param {string} jobId
 * @param {HTMLElement} box
 * @param {Channel[]} channels
 * @param {number} levelMax  the highest level the server takes per stem (the mixer answer's levelMax)
 * @param {() => boolean} stillOpen  false once the page shows another job
 */
export function renderControls(jobId, box, channels, levelMax, stillOpen) {
  const status = h('p', { class: 'note mixer-status', role: 'status' });
  const clipNote = h(
    'p',
    { class: 'note error mixer-clip', role: 'status', hidden: true },
    'Clipping: the levels add up to more than full scale, so what you hear is distorted. Lower the master or the stems (a saved mix is turned down to fit instead, and the page says by how much).',
  );
  setClipNote(clipNote);
  /** @type {{ channel: Channel, input: HTMLInputElement }[]} */
  const stemSliders = [];
  // Mute and solo change what other stems' sliders say too (a solo silences the others).
  const sayLevels = () => {
    for (const { channel, input } of stemSliders)
      input.setAttribute('aria-valuetext', stemLevelText(channel));
  };
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
      sayLevels();
    });
    solo.addEventListener('click', () => {
      channel.soloed = !channel.soloed;
      solo.setAttribute('aria-pressed', String(channel.soloed));
      applyLevels();
      sayLevels();
    });
    const level = slider(`${channel.name} level`, (v) => {
      channel.level = v;
      applyLevels();
      sayLevels();
    });
    stemSliders.push({ channel, input: level });
    return h(
      'div',
      { class: 'mixer-stem', 'data-stem': channel.name },
      h('span', { class: 'name' }, channel.name),
      level,
      mute,
      solo,
    );
  });
  const master = slider('master level', (v) => {
    master.setAttribute('aria-valuetext', `master ${dbText(v)}`);
    if (mixerState.master && mixerState.context)
      mixerState.master.gain.setValueAtTime(v, mixerState.context.currentTime);
  });
  master.setAttribute('aria-valuetext', `master ${dbText(1)}`);
  sayLevels();
  const name = /** @type {HTMLInputElement} */ (
    h('input', {
      type: 'text',
      class: 'mix-name',
      value: 'my_mix',
      'aria-label': 'name of the mix',
      pattern: '[a-z][a-z0-9_]*',
    })
  );
  // Text fields, read through one parser: a field of type=number dropped a decimal comma ("0,8" became 08)
  // and turned a pasted "−2" (U+2212, as the docs write it) into 2, the opposite key.
  // inputmode text: a phone's decimal keypad has no minus key.
  const pitch = numberField({
    class: 'mix-pitch',
    value: 0,
    inputmode: 'text',
    'aria-label': 'key change in semitones',
  });
  const tempo = numberField({ class: 'mix-tempo', value: 1, 'aria-label': 'tempo factor' });
  const save = h('button', { type: 'submit', class: 'mix-save' }, 'Save this mix');
  const saveMix = async () => {
    // What is heard: each stem's level times the master level (the server takes up to levelMax per stem).
    const masterLevel = Number(master.value);
    const stems = Object.fromEntries(
      channels.map((c) => [
        c.name,
        Math.min(levelMax, Math.round(effectiveLevel(c) * masterLevel * 1e4) / 1e4),
      ]),
    );
    /** @type {Record<string, unknown>} */
    const body = { variant: name.value.trim(), stems };
    const thisSave = ++saves;
    status.textContent = 'saving…';
    status.classList.remove('error');
    delete status.dataset.job;
    delete status.dataset.file;
    status.dataset.state = 'saving';
    // An empty field is no change (a cleared tempo field asked for tempo 0). One that holds anything but
    // a number ("2-", "−"): said, naming the field, and nothing is queued (it was saved as no change).
    const read = readNumberFields([
      { field: pitch, empty: 0, what: 'key', example: '-2' },
      { field: tempo, empty: 1, what: 'tempo', example: '0.8' },
    ]);
    if (read.unread) {
      status.textContent = `Could not save: the ${read.unread.what} field does not hold a number; write it as ${read.unread.example}, or empty it for no change`;
      status.dataset.state = 'failed';
      status.classList.add('error');
      return;
    }
    const [pitchValue, tempoValue] = read.values;
    if (pitchValue !== 0) body.pitch = pitchValue;
    if (tempoValue !== 1) body.tempo = tempoValue;
    try {
      /** @type {MixSaveResponse} */
      const queued = await api(`/api/jobs/${encodeURIComponent(jobId)}/mix`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      // Followed until the worker has made it (or refused it); a later save or another page stops this one.
      await followMix(jobId, queued, status, () => saves === thisSave && stillOpen());
    } catch (error) {
      status.textContent = `Could not save: ${errorText(error)}`;
      status.dataset.state = 'failed';
      status.classList.add('error');
    }
  };
  // A form: Enter in the name, key or tempo field saves, as the button does (novalidate: the page says
  // what is wrong with a field, in its status line, rather than the browser's bubble).
  const form = h(
    'form',
    { class: 'mixer-save', novalidate: true },
    h('label', {}, 'name ', name),
    h('label', {}, 'key (semitones) ', pitch),
    h('label', {}, 'tempo ', tempo),
    save,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void saveMix();
  });
  const playButton = h('button', { type: 'button', class: 'mix-play' }, 'Play');
  playButton.addEventListener('click', () => void play());
  const stopButton = h('button', { type: 'button', class: 'mix-stop' }, 'Stop');
  stopButton.addEventListener('click', stop);
  box.replaceChildren(
    h('h2', {}, 'Mixer'),
    h('div', { class: 'mixer-transport' }, playButton, stopButton, h('label', {}, 'master ', master)),
    clipNote,
    ...rows,
    form,
    h('p', { class: 'note' }, 'Key and tempo are applied when the mix is saved.'),
    status,
  );
}
