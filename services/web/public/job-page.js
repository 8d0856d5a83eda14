// @ts-check
// The job page (#/job/<id>): summary, live progress, history, errors, retry, cancel, and the outputs with a
// player, a preview image, a download link and the sync status per artifact.
import {
  $,
  ago,
  api,
  badge,
  bytes,
  engineText,
  errorText,
  facts,
  h,
  setProgress,
  turnedDownText,
} from './lib.js';
import { mountMixer, unmountMixer } from './mixer.js';

/** @typedef {import('./lib.js').Child} Child */
/** @typedef {import('../src/api-types.ts').JobDetailResponse} JobDetailResponse */
/** @typedef {import('../src/api-types.ts').JobSummary} JobSummary */
/** @typedef {import('../src/api-types.ts').OutputArtifact} OutputArtifact */
/** @typedef {import('../src/api-types.ts').OutputDetail} OutputDetail */
/** @typedef {import('../src/api-types.ts').StatusResponse} StatusResponse */
/** @typedef {import('../src/api-types.ts').SyncEntry} SyncEntry */

/** @type {string | null} */
let currentJob = null;
let lastJobKey = '';
let outputsKey = '';

/** @param {Child[]} values */
function cells(values) {
  return h('tr', {}, ...values.map((v) => h('td', {}, v ?? '')));
}

/** A text field of a manifest, which the page shows as it is. */
function text(/** @type {unknown} */ value) {
  return typeof value === 'string' ? value : undefined;
}

/** The message of an archived job's imk-error.json, imk-rejection.json or imk-cancel.json, if it has one. */
function folderMessage(/** @type {unknown} */ folderError) {
  return typeof folderError === 'object' && folderError !== null && 'message' in folderError
    ? text(folderError.message)
    : undefined;
}

/** @param {string} id */
async function loadJob(id) {
  /** @type {JobDetailResponse} */
  let detail;
  try {
    detail = await api(`/api/jobs/${encodeURIComponent(id)}`);
  } catch (error) {
    $('#job-title').textContent = id;
    $('#job-meta').textContent = errorText(error);
    return;
  }
  if (currentJob !== id) return;
  // A job known only by its outputs (no ledger row, no queue folder) has no summary.
  /** @type {Partial<JobSummary> & Pick<JobSummary, 'job_id' | 'state'>} */
  const s = detail.summary ?? { job_id: id, state: detail.output ? 'succeeded' : 'unknown' };
  const manifest = detail.output?.manifest ?? {};
  $('#job-title').textContent = s.title || text(manifest.title) || id;
  const state = $('#job-state');
  state.className = `state-badge ${s.state}`;
  state.textContent = s.state;
  $('#job-meta').textContent = facts(
    s.artist || text(manifest.artist),
    id,
    s.queue && `queue ${s.queue}`,
    s.attempts ? `attempt ${s.attempts}` : '',
    s.updated_at && `updated ${ago(s.updated_at)}`,
    // When its outputs were made: the manifest's processed_at as the library reads it (the server's one
    // reader, in UTC; a time without a zone is UTC), shown in this browser's zone. The manifest's own text
    // (below, as the file says it) may have no zone.
    detail.output?.processed_at && `finished ${new Date(detail.output.processed_at).toLocaleString()}`,
  );
  const engine = engineText(detail.engine ?? s.engine, { hash: true });
  $('#job-engine').textContent = engine && `engine ${engine}`;
  $('#job-engine').hidden = !engine;
  const bar = $('#job-progress');
  bar.hidden = !s.progress;
  if (s.progress) setProgress(bar, s.progress);

  const errors = detail.ledger?.errors ?? [];
  const lastError = s.last_error || errors.at(-1)?.message || folderMessage(detail.folderError);
  const errorBox = $('#job-error');
  // A waiting job: what for, since when and when it gives up (the ledger's one line of that wait).
  errorBox.hidden = !(lastError && ['failed', 'rejected', 'retrying', 'waiting'].includes(s.state));
  errorBox.textContent = lastError ?? '';
  if (s.state === 'cancelled') {
    // Who cancelled it and why (imk-cancel.json beside the bundle, or the ledger's last word).
    errorBox.hidden = false;
    errorBox.textContent =
      folderMessage(detail.folderError) ?? detail.ledger?.events.at(-1)?.message ?? 'cancelled';
  }
  $('#retry-button').hidden = !detail.canRetry;
  // Where a retry cannot help (unreadable media), or must wait for a fix, what to do instead.
  $('#retry-advice').hidden = !detail.retryAdvice;
  $('#retry-advice').textContent = detail.retryAdvice ?? '';
  $('#cancel-box').hidden = !detail.canCancel;

  $('#history-table tbody').replaceChildren(
    ...(detail.ledger?.events ?? []).map((e) =>
      cells([new Date(e.at).toLocaleString(), badge(e.state), e.stage, e.attempt, e.message]),
    ),
  );
  $('#stages-table tbody').replaceChildren(
    ...(detail.ledger?.stages ?? []).map((st) =>
      cells([st.stage, st.attempt, st.duration_sec.toFixed(2), st.outcome]),
    ),
  );
  $('#errors-table tbody').replaceChildren(
    ...errors.map((e) => cells([new Date(e.at).toLocaleString(), e.stage, e.attempt, e.code, e.message])),
  );
  renderOutputs(id, detail.output, detail.sync ?? [], detail.syncEnabled);
  renderReleased(detail.sync ?? []);
  // The earlier version's outputs have no cached stems: the mixer shows for those that kept their stem
  // WAVs in files/stems/ (it plays them from there), or says which are missing.
  const mixable =
    detail.output && (!detail.output.legacy || detail.output.artifacts.some((a) => a.kind === 'stems'));
  if (mixable) void mountMixer(id, $('#mixer')).catch(() => undefined);
}

/** @param {string} id @param {string} path */
function fileUrl(id, path) {
  return `/outputs/${encodeURIComponent(id)}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** The sync box of each artifact, by path, while the variant list stands. @type {Map<string, HTMLElement>} */
const syncBoxes = new Map();
let syncKey = '';

/**
 * @param {string} id
 * @param {OutputDetail | undefined} output
 * @param {SyncEntry[]} sync
 * @param {boolean} syncEnabled
 */
function renderOutputs(id, output, sync, syncEnabled) {
  const box = $('#outputs');
  box.hidden = !output;
  if (!output) return;
  // The manifest can change without its artifacts (a warning added); it is rewritten only when it did, so a
  // selection in it survives the page's polls.
  const manifestText = JSON.stringify(output.manifest, null, 2);
  if ($('#manifest').textContent !== manifestText) $('#manifest').textContent = manifestText;
  // The list is rebuilt only when the artifacts change, so live updates never interrupt a playing <audio> or
  // switch a preview back: a change of sync status is written into each artifact's sync box in place.
  const key = JSON.stringify([id, output.artifacts.map((a) => [a.sha256 ?? a.path, a.on_disk]), syncEnabled]);
  if (key !== outputsKey) {
    outputsKey = key;
    syncKey = '';
    syncBoxes.clear();
    $('#variants').replaceChildren(...output.artifacts.map((a) => variantBox(id, a, syncEnabled)));
  }
  // Artifacts of the earlier version's manifest without a usable path or kind: named, never files here.
  const leftOut = output.left_out ?? [];
  $('#left-out').hidden = leftOut.length === 0;
  $('#left-out').replaceChildren(...leftOut.map((line) => h('li', {}, line)));
  const nextSyncKey = JSON.stringify(sync);
  if (nextSyncKey === syncKey) return;
  syncKey = nextSyncKey;
  for (const [path, syncBox] of syncBoxes) syncBox.replaceChildren(...syncPills(sync, path));
}

/**
 * One artifact: name, download link, facts, player, preview, and an empty sync box (filled by renderOutputs).
 * @param {string} id
 * @param {OutputArtifact} a
 * @param {boolean} syncEnabled
 */
function variantBox(id, a, syncEnabled) {
  const url = fileUrl(id, a.path);
  // Listed in manifest.json but not a file in its folder (deleted by hand, a folder): said, not offered.
  const absent = a.on_disk === 'missing' || a.on_disk === 'not-a-file';
  const playable = !absent && (a.kind === 'audio' || a.kind === 'stems');
  const media =
    a.kind === 'video'
      ? absent
        ? null
        : h('video', { controls: true, preload: 'metadata', src: url })
      : playable
        ? h('audio', { controls: true, preload: 'metadata', src: url })
        : null;
  const syncBox = syncEnabled ? h('div', { class: 'sync' }) : null;
  if (syncBox) syncBoxes.set(a.path, syncBox);
  return h(
    'div',
    { class: 'variant', 'data-variant': a.variant ?? a.kind, 'data-kind': a.kind },
    h(
      'div',
      { class: 'head' },
      h('span', { class: 'name' }, a.label || a.variant || a.path),
      absent ? null : h('a', { href: `${url}?download=1`, download: '' }, 'download'),
    ),
    absent ? h('div', { class: 'note missing' }, a.on_disk_note ?? a.on_disk) : null,
    h(
      'div',
      { class: 'facts' },
      facts(
        a.path,
        a.codec === 'none' ? 'no sound' : a.codec,
        a.duration_sec ? `${a.duration_sec.toFixed(1)} s` : '',
        bytes(a.bytes),
      ),
    ),
    turnedDown(a),
    media,
    // A video without sound of its own (codec "none"): no waveform to draw.
    absent || a.codec === 'none' ? null : previewImage(id, a),
    syncBox,
  );
}

/**
 * Says that a file was turned down so that it does not clip (its manifest's gain_db), or null.
 * @param {OutputArtifact} a
 */
function turnedDown(a) {
  const text = turnedDownText(a);
  return text ? h('div', { class: 'note gain' }, text) : null;
}

/**
 * Copies found gone that can never come back (`imk sync status` lists them as released): shown apart from the
 * artifacts, since the outputs they came from may be gone. @param {SyncEntry[]} sync
 */
function renderReleased(sync) {
  const released = sync.filter((e) => e.status === 'released');
  const box = $('#sync-released');
  box.hidden = !released.length;
  const list = box.querySelector('ul');
  if (!list) return;
  const items = released.map((e) =>
    h('li', { class: 'released' }, `${e.path} → ${e.destination}:${e.detail ? ` ${e.detail}` : ''}`),
  );
  const next = JSON.stringify(released);
  if (list.dataset.key !== next) {
    list.dataset.key = next;
    list.replaceChildren(...items);
  }
}

/** The delivery pills of one artifact. @param {SyncEntry[]} sync @param {string} path */
function syncPills(sync, path) {
  // Released copies have a list of their own (renderReleased).
  const deliveries = sync.filter((e) => e.path === path && e.status !== 'released');
  if (!deliveries.length) return [h('span', { class: 'pill' }, 'no route')];
  return deliveries.map((d) =>
    // A skip route sends nowhere: the pill says which route, not a destination.
    d.status === 'skipped'
      ? h('span', { class: 'pill skipped', title: d.detail ?? '' }, d.detail ?? 'skipped')
      : h(
          'span',
          { class: `pill ${d.status}`, title: [d.conflict, d.detail].filter(Boolean).join('\n') },
          `${d.destination}: ${d.status}${d.conflict ? ' (conflict)' : ''}`,
        ),
  );
}

/**
 * The server-rendered waveform; a click switches between waveform and spectrogram.
 * @param {string} id
 * @param {OutputArtifact} artifact
 */
function previewImage(id, artifact) {
  const base = `/api/outputs/${encodeURIComponent(id)}/artifacts/${artifact.index}`;
  const name = artifact.label || artifact.path;
  const img = h('img', {
    class: 'preview',
    alt: `waveform of ${name}`,
    title: 'click: waveform / spectrogram',
    loading: 'lazy',
    src: `${base}/waveform.png`,
    'data-kind': 'waveform',
  });
  img.addEventListener('click', () => {
    const next = img.dataset.kind === 'waveform' ? 'spectrogram' : 'waveform';
    img.dataset.kind = next;
    img.alt = `${next} of ${name}`;
    img.src = `${base}/${next}.png`;
  });
  return img;
}

/**
 * Runs an action on the open job (retry, cancel) with its button disabled meanwhile, then shows the job again.
 * @param {HTMLButtonElement} button
 * @param {string} label
 * @param {string} path
 * @param {RequestInit} [init]
 */
async function act(button, label, path, init) {
  const id = currentJob;
  if (!id) return;
  button.disabled = true;
  try {
    await api(`/api/jobs/${encodeURIComponent(id)}/${path}`, { method: 'POST', ...init });
    lastJobKey = '';
    await loadJob(id);
  } catch (error) {
    $('#job-error').hidden = false;
    $('#job-error').textContent = `${label} failed: ${errorText(error)}`;
  } finally {
    button.disabled = false;
  }
}

const retry = () => act($('#retry-button', HTMLButtonElement), 'Retry', 'retry');

async function cancel() {
  const reason = $('#cancel-reason', HTMLInputElement).value.trim();
  await act($('#cancel-button', HTMLButtonElement), 'Cancel', 'cancel', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(reason ? { reason } : {}),
  });
  $('#cancel-reason', HTMLInputElement).value = '';
}

/** Shows the page of job `id` (or hides it when id is null). @param {string | null} id */
export function openJob(id) {
  currentJob = id;
  if (!id) unmountMixer($('#mixer'));
  outputsKey = '';
  lastJobKey = '';
  if (id) {
    $('#variants').replaceChildren();
    void loadJob(id);
  }
}

/** Called with every live snapshot: reloads the open job when its state or progress changed. @param {StatusResponse} snap */
export function jobSnapshot(snap) {
  if (!currentJob) return;
  const seen = snap.jobs.find((j) => j.job_id === currentJob);
  const key = seen ? JSON.stringify([seen.state, seen.progress, seen.updated_at]) : '';
  if (key !== lastJobKey) {
    lastJobKey = key;
    void loadJob(currentJob);
  }
}

// Sync deliveries and retries change without the job's state changing: refresh an open job page now and then.
setInterval(() => {
  if (currentJob && !document.hidden) void loadJob(currentJob);
}, 4000);

$('#retry-button').addEventListener('click', () => void retry());
$('#cancel-button').addEventListener('click', () => void cancel());
