// @ts-check
// The mixer of a job whose stems left the stem cache (retention cleaned them up): it says so, and offers to
// separate the song again. That queues a new job made from the song's archived bundle (same files, options
// and engine; the server's POST /api/jobs/<id>/separate-again); once it is done the stems are back in the
// cache under the same key and the mixer opens by itself. While the song is archived a mix can also be
// saved by its levels, without listening: the worker separates the song again to make it.
import { api, errorText, h, numberField, readNumberFields } from './lib.js';
import { followMix } from './mix-follow.js';

/**
 * @typedef {{ job_id: string, queue: string }} AgainJob
 * @typedef {{ available: boolean, message?: string, canSeparateAgain?: boolean, canSaveWithoutStems?: boolean, again?: AgainJob }} MissingInfo
 * @typedef {import('../src/api-types.ts').MixQueuedResponse | import('../src/api-types.ts').MixAlreadySavedResponse} MixQueued
 * @typedef {{ summary?: { state?: string, last_error?: string } }} JobDetail
 */

/** How often the page looks whether the job separating again is done, in ms. */
const POLL_MS = 1500;
/** States of a job that will not bring the stems back. */
const DEAD_STATES = new Set(['failed', 'rejected', 'cancelled']);

/** @param {string} jobId */
const jobLink = (jobId) => h('a', { href: `#/job/${encodeURIComponent(jobId)}` }, jobId);

/**
 * Waits for the job separating again (`again`), then calls `remount` once the stems of `jobId` are back;
 * stops when `stillOpen()` turns false (another page), or says why when that job failed.
 * @param {string} jobId
 * @param {AgainJob} again
 * @param {HTMLElement} status
 * @param {() => boolean} stillOpen
 * @param {() => void} remount
 */
async function waitForStems(jobId, again, status, stillOpen, remount) {
  status.replaceChildren(
    'Separating again as job ',
    jobLink(again.job_id),
    ` (queue ${again.queue}). The mixer opens here when it is done.`,
  );
  status.dataset.job = again.job_id;
  while (stillOpen()) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (!stillOpen()) return;
    try {
      /** @type {MissingInfo} */
      const info = await api(`/api/jobs/${encodeURIComponent(jobId)}/mixer`);
      if (info.available) {
        if (stillOpen()) remount();
        return;
      }
      /** @type {JobDetail} */
      const detail = await api(`/api/jobs/${encodeURIComponent(again.job_id)}`);
      const state = detail.summary?.state;
      if (state === 'succeeded') {
        // Done: its stems were stored before it published, so they should be found now.
        /** @type {MissingInfo} */
        const after = await api(`/api/jobs/${encodeURIComponent(jobId)}/mixer`);
        if (after.available) {
          if (stillOpen()) remount();
          return;
        }
        status.replaceChildren(
          'Job ',
          jobLink(again.job_id),
          ' is done, but the stems are still not in the stem cache: is stemCache.enabled off in' +
            ' config/instrumental-maker.yaml? Or its engine settings changed: then its own page has a mixer.',
        );
        status.classList.add('error');
        return;
      }
      if (state && DEAD_STATES.has(state)) {
        status.replaceChildren(
          'Job ',
          jobLink(again.job_id),
          ` ${state}: ${detail.summary?.last_error ?? 'see its page'}. The stems are still not there.`,
        );
        status.classList.add('error');
        return;
      }
    } catch {
      // The job is not listed yet, or a request failed: look again.
    }
  }
}

/** The stems a mix is made of, and the level each starts at in a mix saved without listening (karaoke). */
const BLIND_LEVELS = { vocals: 0, drums: 1, bass: 1, other: 1 };

/**
 * "Save a mix without listening": the stems are not on this host, but the worker can make a mix (it
 * separates the archived song again). The levels are typed, not heard; the server checks them.
 * @param {string} jobId
 * @param {() => boolean} stillOpen
 * @returns {HTMLElement}
 */
function blindMixForm(jobId, stillOpen) {
  let saves = 0;
  const status = h('p', { class: 'note mix-blind-status', role: 'status' });
  const name = /** @type {HTMLInputElement} */ (
    h('input', { type: 'text', class: 'mix-name', value: 'my_mix', 'aria-label': 'name of the mix' })
  );
  const levels = Object.entries(BLIND_LEVELS).map(([stem, level]) => ({
    stem,
    // Read as the mixer's key and tempo are (lib.js readNumberFields): "0,5" is 0.5, not 05.
    input: numberField({
      class: `mix-blind-level mix-blind-${stem}`,
      value: level,
      'aria-label': `${stem} level`,
    }),
  }));
  const save = h('button', { type: 'button', class: 'mix-save-blind' }, 'Save this mix');
  save.addEventListener('click', () => {
    void (async () => {
      const thisSave = ++saves;
      status.textContent = 'saving…';
      status.classList.remove('error');
      // A level that is not a number ("1-") was sent as 0: a silent stem. So was an empty one, which the
      // key and tempo fields read as "no change": neither is taken as silent; said, naming the stem.
      const read = readNumberFields(
        levels.map((level) => ({ ...level, field: level.input, empty: undefined })),
      );
      if (read.unread) {
        status.textContent = `Could not save: the ${read.unread.stem} level ${read.blank ? 'is empty' : 'does not hold a number'}; write it as 1 (as separated) or 0 (silent)`;
        status.classList.add('error');
        return;
      }
      const values = read.values;
      const stems = Object.fromEntries(levels.map(({ stem }, i) => [stem, values[i]]));
      try {
        /** @type {MixQueued} */
        const queued = await api(`/api/jobs/${encodeURIComponent(jobId)}/mix`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ variant: name.value.trim(), stems }),
        });
        await followMix(jobId, queued, status, () => stillOpen() && saves === thisSave);
      } catch (error) {
        status.textContent = `Could not save: ${errorText(error)}`;
        status.classList.add('error');
      }
    })();
  });
  return h(
    'div',
    { class: 'mix-blind' },
    h('h3', {}, 'Save a mix without listening'),
    h('label', {}, 'name ', name),
    ...levels.map(({ stem, input }) => h('label', {}, `${stem} `, input)),
    save,
    status,
  );
}

/**
 * Fills `box` for a job whose stems are gone: why, and a "Separate again" button (or the job already doing it).
 * @param {string} jobId
 * @param {HTMLElement} box
 * @param {MissingInfo} info
 * @param {() => boolean} stillOpen  false once the page shows another job
 * @param {() => void} remount  opens the mixer again (the stems are back)
 */
export function renderMissing(jobId, box, info, stillOpen, remount) {
  const status = h('p', { class: 'note mixer-again-status', role: 'status' });
  const button = h('button', { type: 'button', class: 'mix-separate-again' }, 'Separate again');
  const separateAgain = async () => {
    button.disabled = true;
    status.textContent = 'queueing…';
    try {
      /** @type {AgainJob} */
      const again = await api(`/api/jobs/${encodeURIComponent(jobId)}/separate-again`, { method: 'POST' });
      button.hidden = true;
      await waitForStems(jobId, again, status, stillOpen, remount);
    } catch (error) {
      button.disabled = false;
      status.textContent = `Could not separate again: ${errorText(error)}`;
      status.classList.add('error');
    }
  };
  button.addEventListener('click', () => void separateAgain());
  box.replaceChildren(
    h('h2', {}, 'Mixer'),
    h('p', { class: 'note mixer-missing' }, info.message ?? 'the stems are not available'),
    ...(info.canSeparateAgain && !info.again
      ? [
          h(
            'p',
            { class: 'note' },
            'Separating again queues a new job with the same song and settings; it also publishes its own outputs.',
          ),
          button,
        ]
      : []),
    status,
    ...(info.canSaveWithoutStems ? [blindMixForm(jobId, stillOpen)] : []),
  );
  if (info.again) void waitForStems(jobId, info.again, status, stillOpen, remount);
}
