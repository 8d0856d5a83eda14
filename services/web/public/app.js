// @ts-check
// The dashboard: plain JavaScript modules, no build step. Live data arrives as server-sent events
// (/api/events); the job page (job-page.js) fetches /api/jobs/<id> when the snapshot says it changed.
import {
  $,
  ago,
  api,
  badge,
  dropInvisibleAround,
  duration,
  engineText,
  errorText,
  facts,
  h,
  progressBar,
} from './lib.js';
import { jobSnapshot, openJob } from './job-page.js';
import { startSubscriptions } from './subscriptions.js';

/** @typedef {import('../src/api-types.ts').JobSummary} JobSummary */
/** @typedef {import('../src/api-types.ts').NotificationsResponse} NotificationsResponse */
/** @typedef {import('../src/api-types.ts').OutputListResponse} OutputListResponse */
/** @typedef {import('../src/api-types.ts').NamedQueueCounts} NamedQueueCounts */
/** @typedef {import('../src/api-types.ts').RequestResponse} RequestResponse */
/** @typedef {import('../src/api-types.ts').StatusResponse} StatusResponse */
/** @typedef {import('../src/api-types.ts').UploadResponse} UploadResponse */

/** @param {NamedQueueCounts[]} queues */
function renderQueues(queues) {
  const body = $('#queues-table tbody');
  body.replaceChildren(
    ...queues.map((q) =>
      h(
        'tr',
        { 'data-queue': q.queue },
        h('td', {}, q.queue),
        h('td', {}, q.ready),
        h('td', {}, q.claimed),
        h('td', {}, q.succeeded),
        h('td', {}, q.failed),
        h('td', {}, q.rejected),
        h('td', {}, q.cancelled),
        h('td', {}, duration(q.oldestReadyAgeSec)),
      ),
    ),
  );
}

/**
 * @param {JobSummary[]} jobs
 * @param {number} total how many jobs there are (the list is the newest of them)
 */
function renderJobs(jobs, total) {
  const body = $('#jobs-table tbody');
  $('#jobs-empty').hidden = jobs.length > 0;
  // A list cut to the newest: say so, and where the rest are (as the library card and `imk jobs` do).
  const more = $('#jobs-more');
  more.hidden = total <= jobs.length;
  more.textContent = `the newest ${jobs.length} of ${total} jobs; imk jobs --limit ${total} lists them all`;
  body.replaceChildren(
    ...jobs.map((job) =>
      h(
        'tr',
        {
          class: 'clickable',
          'data-job-id': job.job_id,
          'data-state': job.state,
          onclick: () => (location.hash = `#/job/${encodeURIComponent(job.job_id)}`),
        },
        h('td', {}, badge(job.state)),
        h('td', { class: 'song' }, job.title || job.job_id, h('small', {}, facts(job.artist, job.job_id))),
        h(
          'td',
          {},
          job.progress
            ? progressBar(job.progress)
            : job.stage ||
                (job.last_error ? h('span', { class: 'note error' }, job.last_error.slice(0, 80)) : ''),
        ),
        h('td', {}, job.queue || ''),
        h('td', { class: 'engine', title: engineText(job.engine, { hash: true }) }, engineText(job.engine)),
        h('td', { title: job.updated_at }, ago(job.updated_at)),
      ),
    ),
  );
}

/** @param {StatusResponse} snap */
function renderHeader(snap) {
  const banner = $('#disk-banner');
  const guard = snap.diskGuard;
  banner.hidden = !guard || guard.claiming;
  banner.textContent =
    guard && !guard.claiming
      ? `Disk space low: ${guard.reason}. New jobs wait until space is freed (imk cleanup).`
      : '';
  $('#services').replaceChildren(
    ...snap.services.map((s) =>
      h(
        'span',
        {
          class: `pill ${s.state}`,
          'data-service': s.name,
          title: [s.state, ...(s.reasons ?? []), s.detail].filter(Boolean).join('\n'),
        },
        s.name,
      ),
    ),
  );
  // What /readyz fails on besides a service (a folder not writable, the ledger unreadable), in words.
  const problems = snap.problems ?? [];
  const problemBanner = $('#problem-banner');
  problemBanner.hidden = problems.length === 0;
  problemBanner.replaceChildren(
    ...problems.map((p) => h('p', { 'data-check': p.name }, h('strong', {}, `${p.name}: `), p.detail)),
  );
  // A service that runs but cannot do its work (deemix missing, no ARL, no route) says why, in words.
  const degraded = snap.services.filter((s) => s.state === 'degraded');
  const serviceBanner = $('#service-banner');
  serviceBanner.hidden = degraded.length === 0;
  serviceBanner.replaceChildren(
    ...degraded.map((s) =>
      h(
        'p',
        { 'data-service': s.name },
        h('strong', {}, `${s.name} is degraded: `),
        (s.reasons ?? []).join('; '),
      ),
    ),
  );
}

// The library (outputs/, including those of the earlier Python version) changes only when a job ends. All of
// it is fetched (an earlier version's library is easily hundreds of songs); the newest LIBRARY_ROWS are shown
// until "show all" is clicked, and the card says how many there are.
const LIBRARY_ROWS = 50;
/** @type {string | null} */
let libraryKey = null;
/** @type {OutputListResponse} */
let library = [];
let libraryAll = false;
/** @param {StatusResponse} snap */
async function refreshLibrary(snap) {
  const key = snap.queues.map((q) => q.succeeded).join(',');
  if (key === libraryKey) return;
  libraryKey = key;
  library = await api('/api/outputs?limit=all');
  renderLibrary();
}

function renderLibrary() {
  const shown = libraryAll ? library : library.slice(0, LIBRARY_ROWS);
  $('#outputs-empty').hidden = library.length > 0;
  $('#outputs-table tbody').replaceChildren(
    ...shown.map((o) =>
      h(
        'tr',
        {
          class: 'clickable',
          'data-output-id': o.job_id,
          onclick: () => (location.hash = `#/job/${encodeURIComponent(o.job_id)}`),
        },
        h(
          'td',
          { class: 'song' },
          o.title || o.job_id,
          h('small', {}, facts(o.artist, o.job_id, o.legacy && 'earlier version')),
        ),
        h('td', {}, o.artifacts),
        h('td', { title: o.processed_at || '' }, ago(o.processed_at)),
      ),
    ),
  );
  const more = $('#outputs-more');
  more.hidden = shown.length === library.length;
  more.replaceChildren(
    `the newest ${shown.length} of ${library.length} songs in outputs/ `,
    h(
      'button',
      {
        type: 'button',
        id: 'outputs-show-all',
        onclick: () => {
          libraryAll = true;
          renderLibrary();
        },
      },
      `show all ${library.length}`,
    ),
  );
}

// The last notification and media-server refresh results (state/notify/results.jsonl), at most every 10 s.
let notificationsAt = 0;
async function refreshNotifications() {
  if (Date.now() - notificationsAt < 10_000) return;
  notificationsAt = Date.now();
  /** @type {NotificationsResponse} */
  const { results } = await api('/api/notifications');
  $('#notifications').hidden = results.length === 0;
  $('#notifications-table tbody').replaceChildren(
    ...results.map((r) =>
      h(
        'tr',
        { 'data-notification': r.event },
        h('td', {}, r.event, h('small', {}, r.title || '')),
        h('td', {}, r.target),
        h(
          'td',
          { class: r.ok ? 'notify-ok' : 'notify-failed' },
          r.ok
            ? 'sent'
            : r.final
              ? `gave up after ${r.attempt} tries`
              : `failed (try ${r.attempt}), will retry`,
          r.error ? h('small', {}, r.error) : '',
        ),
        h('td', { title: r.at }, ago(r.at)),
      ),
    ),
  );
}

/** @param {StatusResponse} snap */
function onSnapshot(snap) {
  void refreshLibrary(snap).catch(() => (libraryKey = null));
  void refreshNotifications().catch(() => (notificationsAt = 0));
  renderHeader(snap);
  renderQueues(snap.queues);
  renderJobs(snap.jobs, snap.jobsTotal);
  jobSnapshot(snap);
}

function connect() {
  const live = $('#live');
  const source = new EventSource('/api/events');
  source.addEventListener('snapshot', (event) => {
    /** @type {unknown} */
    const data = JSON.parse(String(event.data));
    onSnapshot(/** @type {StatusResponse} */ (data));
  });
  source.onopen = () => {
    live.textContent = 'live';
    live.classList.add('on');
  };
  source.onerror = () => {
    live.textContent = 'reconnecting…';
    live.classList.remove('on');
  };
}

// ---- submitting ----

/** @param {string} text */
function say(text, isError = false) {
  const el = $('#submit-result');
  el.textContent = text;
  el.classList.toggle('error', isError);
}

/** @param {SubmitEvent} event */
async function submitUrl(event) {
  event.preventDefault();
  const button = $('#submit-url', HTMLButtonElement);
  button.disabled = true;
  say('Fetching…');
  try {
    /** @type {RequestResponse} */
    const result = await api('/api/requests', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        url: $('#url-input', HTMLInputElement).value,
        mode: $('#mode-select', HTMLSelectElement).value,
      }),
    });
    // A fetch answers with its job ids; a request left for the running retriever (202) has none yet.
    const ids = 'job_ids' in result ? result.job_ids : [];
    say(
      ids.length > 0
        ? `Queued: ${ids.join(', ')}`
        : 'Request accepted; the job appears below once downloaded.',
    );
    $('#url-input', HTMLInputElement).value = '';
  } catch (error) {
    say(errorText(error), true);
  } finally {
    button.disabled = false;
  }
}

async function upload() {
  const input = $('#upload-input', HTMLInputElement);
  const file = input.files?.[0];
  if (!file) return;
  const form = new FormData();
  form.append('file', file);
  say(`Uploading ${file.name}…`);
  try {
    /** @type {UploadResponse} */
    const result = await api('/api/upload', { method: 'POST', body: form });
    say(`Queued: ${result.job_ids.join(', ')}`);
  } catch (error) {
    say(errorText(error), true);
  } finally {
    input.value = '';
  }
}

// ---- routing ----

function route() {
  const match = /^#\/job\/(.+)$/.exec(location.hash);
  const id = match?.[1] !== undefined ? decodeURIComponent(match[1]) : null;
  $('#overview').hidden = id !== null;
  $('#job-detail').hidden = id === null;
  openJob(id);
}

dropInvisibleAround($('#url-input', HTMLInputElement));
$('#url-form').addEventListener('submit', (event) => void submitUrl(event));
$('#upload-input').addEventListener('change', () => void upload());
window.addEventListener('hashchange', route);
route();
connect();
startSubscriptions();
