// @ts-check
// After "Save this mix": the page follows the remix job it queued until the worker is done with it, and
// says what became of the mix: "saved as <file>" with a link to it, or why it was not saved and what to do.
// A mix is rendered later by the worker, which can still refuse it (a file name the job already uses) or
// fail (its stems gone meanwhile): the page never says "saved" before the file is there.
import { api, h, turnedDownText } from './lib.js';

/**
 * @typedef {import('../src/api-types.ts').MixQueuedResponse} MixQueuedResponse
 * @typedef {import('../src/api-types.ts').MixAlreadySavedResponse} MixAlreadySavedResponse
 * @typedef {import('../src/api-types.ts').JobDetailResponse} JobDetailResponse
 */

/** How often the page looks at the remix job, in ms. */
const POLL_MS = 1000;
/** States of a remix job that will not make the mix. */
const DEAD_STATES = new Set(['failed', 'rejected', 'cancelled']);

/** @param {string} jobId */
const jobLink = (jobId) => h('a', { href: `#/job/${encodeURIComponent(jobId)}` }, jobId);

/**
 * Says that the mix is saved as `path` in outputs/<folder>/, with a link to it (`data-state` `saved`).
 * @param {HTMLElement} status
 * @param {string} folder
 * @param {string} path
 * @param {string} before the words before the link
 * @param {string} after the words after it
 */
function showSaved(status, folder, path, before, after) {
  status.dataset.state = 'saved';
  status.dataset.file = path;
  status.classList.remove('error');
  const href = `/outputs/${encodeURIComponent(folder)}/${path.split('/').map(encodeURIComponent).join('/')}`;
  status.replaceChildren(before, h('a', { href, class: 'mix-file' }, path), after);
}

/**
 * Follows remix job `queued.job_id`, which adds the mix `queued.variant` to job `of`, and keeps `status`
 * saying where it is: `data-state` is `saving`, then `saved` (with `data-file`) or `failed`. Stops when
 * `stillOpen()` turns false (another page, or another save).
 * A mix the server found saved already (the same file at the same levels: nothing was queued) is said at
 * once: "Already saved as <file>".
 * @param {string} of
 * @param {MixQueuedResponse | MixAlreadySavedResponse} queued
 * @param {HTMLElement} status
 * @param {() => boolean} stillOpen
 */
export async function followMix(of, queued, status, stillOpen) {
  if ('already' in queued) {
    delete status.dataset.job;
    showSaved(
      status,
      queued.job_id,
      queued.path,
      'Already saved as ',
      ' (these levels, key and tempo): nothing to do.',
    );
    return;
  }
  status.dataset.job = queued.job_id;
  status.dataset.state = 'saving';
  status.classList.remove('error');
  status.replaceChildren(
    `saving… job `,
    jobLink(queued.job_id),
    ` renders the mix "${queued.variant}"${queued.message ? ` (${queued.message})` : ''}.`,
  );
  while (stillOpen()) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (!stillOpen()) return;
    /** @type {JobDetailResponse} */
    let detail;
    try {
      detail = await api(`/api/jobs/${encodeURIComponent(queued.job_id)}`);
    } catch {
      continue; // not listed yet, or a request failed: look again
    }
    const state = detail.summary?.state;
    if (state === 'succeeded') {
      /** @type {JobDetailResponse | undefined} */
      let target;
      try {
        target = await api(`/api/jobs/${encodeURIComponent(of)}`);
      } catch {
        target = undefined; // the job's page is gone or a request failed: look in the mix's own job
      }
      if (!stillOpen()) return;
      // In the job's outputs; a mix of an earlier version's output is published as a job of its own.
      const byVariant = (/** @type {JobDetailResponse | undefined} */ d) =>
        d?.output?.artifacts.find((a) => a.variant === queued.variant);
      const inJob = byVariant(target);
      const folder = inJob ? of : queued.job_id;
      const file = inJob ?? byVariant(detail);
      if (file === undefined) {
        status.dataset.state = 'failed';
        status.classList.add('error');
        status.replaceChildren(
          'Job ',
          jobLink(queued.job_id),
          ` is done, but the mix "${queued.variant}" is not among the outputs of ${of}: see the job's page.`,
        );
        return;
      }
      // Levels that add up past full scale (every stem and the master raised): the file is quieter than
      // what was heard, so say by how much rather than leave the user to find it on the job's page.
      const quieter = turnedDownText(file);
      showSaved(status, folder, file.path, 'Saved as ', quieter ? `, ${quieter} at these levels.` : '.');
      return;
    }
    if (state !== undefined && DEAD_STATES.has(state)) {
      status.dataset.state = 'failed';
      status.classList.add('error');
      status.replaceChildren(
        `The mix "${queued.variant}" was not saved: job `,
        jobLink(queued.job_id),
        ` ${state}: ${detail.summary?.last_error ?? 'see its page'}`,
      );
      return;
    }
  }
}
