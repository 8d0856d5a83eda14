// The dashboard: plain JavaScript, no build step. Live data arrives as server-sent events (/api/events);
// the job page fetches /api/jobs/<id> whenever the overview says that job changed.
'use strict';

const $ = (selector) => document.querySelector(selector);

/** Builds an element; strings become text nodes (never HTML), so names from metadata cannot inject markup. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function ago(iso) {
  if (!iso) return '';
  const sec = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (sec < 60) return `${sec}s ago`;
  if (sec < 3600) return `${Math.round(sec / 60)} min ago`;
  if (sec < 86400) return `${Math.round(sec / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

function duration(sec) {
  if (sec === null || sec === undefined) return '';
  if (sec < 60) return `${sec}s`;
  if (sec < 3600) return `${Math.round(sec / 60)} min`;
  return `${(sec / 3600).toFixed(1)} h`;
}

function bytes(n) {
  if (typeof n !== 'number') return '';
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: 'same-origin', ...options });
  if (response.status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname + location.hash)}`;
    throw new Error('not signed in');
  }
  const body = response.headers.get('content-type')?.includes('json')
    ? await response.json()
    : await response.text();
  if (!response.ok) throw new Error(body?.message ?? `HTTP ${response.status}`);
  return body;
}

function badge(state) {
  return h('span', { class: `state-badge ${state}` }, state);
}

function progressBar(progress) {
  const el = h('div', { class: 'progress' }, h('div', { class: 'bar' }), h('span', { class: 'label' }));
  setProgress(el, progress);
  return el;
}

function setProgress(el, progress) {
  const percent = Math.max(0, Math.min(100, Math.round(progress.percent)));
  el.querySelector('.bar').style.width = `${percent}%`;
  el.querySelector('.label').textContent = `${progress.stage} ${percent}%`;
}

// ---- overview ----

let snapshot = null;

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
        h('td', {}, duration(q.oldestReadyAgeSec)),
      ),
    ),
  );
}

function renderJobs(jobs) {
  const body = $('#jobs-table tbody');
  $('#jobs-empty').hidden = jobs.length > 0;
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
        h(
          'td',
          { class: 'song' },
          job.title || job.job_id,
          h('small', {}, [job.artist, job.job_id].filter(Boolean).join(' · ')),
        ),
        h(
          'td',
          {},
          job.progress
            ? progressBar(job.progress)
            : job.stage ||
                (job.last_error ? h('span', { class: 'note error' }, job.last_error.slice(0, 80)) : ''),
        ),
        h('td', {}, job.queue || ''),
        h('td', { title: job.updated_at }, ago(job.updated_at)),
      ),
    ),
  );
}

function renderHeader(snap) {
  const banner = $('#disk-banner');
  const guard = snap.diskGuard;
  banner.hidden = !guard || guard.claiming;
  banner.textContent =
    guard && !guard.claiming
      ? `Disk space low: ${guard.reason}. New jobs wait until space is freed (imk cleanup).`
      : '';
  $('#services').replaceChildren(
    ...snap.services.map((s) => h('span', { class: `pill ${s.state}`, title: s.detail || s.state }, s.name)),
  );
}

// The library (outputs/, including those of the earlier Python version) changes only when a job ends.
let libraryKey = null;
async function refreshLibrary(snap) {
  const key = snap.queues.map((q) => q.succeeded).join(',');
  if (key === libraryKey) return;
  libraryKey = key;
  const outputs = await api('/api/outputs');
  $('#outputs-empty').hidden = outputs.length > 0;
  $('#outputs-table tbody').replaceChildren(
    ...outputs.slice(0, 50).map((o) =>
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
          h('small', {}, [o.artist, o.job_id, o.legacy ? 'earlier version' : ''].filter(Boolean).join(' · ')),
        ),
        h('td', {}, o.artifacts),
        h('td', { title: o.processed_at || '' }, ago(o.processed_at)),
      ),
    ),
  );
}

function onSnapshot(snap) {
  void refreshLibrary(snap).catch(() => (libraryKey = null));
  snapshot = snap;
  renderHeader(snap);
  renderQueues(snap.queues);
  renderJobs(snap.jobs);
  if (currentJob) {
    const seen = snap.jobs.find((j) => j.job_id === currentJob);
    const key = seen ? JSON.stringify([seen.state, seen.progress, seen.updated_at]) : '';
    if (key !== lastJobKey) {
      lastJobKey = key;
      void loadJob(currentJob);
    }
  }
}

function connect() {
  const live = $('#live');
  const source = new EventSource('/api/events');
  source.addEventListener('snapshot', (event) => onSnapshot(JSON.parse(event.data)));
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

function say(text, isError = false) {
  const el = $('#submit-result');
  el.textContent = text;
  el.classList.toggle('error', isError);
}

async function submitUrl(event) {
  event.preventDefault();
  const button = $('#submit-url');
  button.disabled = true;
  say('Fetching…');
  try {
    const result = await api('/api/requests', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: $('#url-input').value, mode: $('#mode-select').value }),
    });
    const ids = result.job_ids ?? result.jobs?.map((j) => j.job_id ?? j) ?? [];
    say(
      ids.length > 0
        ? `Queued: ${ids.join(', ')}`
        : 'Request accepted; the job appears below once downloaded.',
    );
    $('#url-input').value = '';
  } catch (error) {
    say(error.message, true);
  } finally {
    button.disabled = false;
  }
}

async function upload() {
  const input = $('#upload-input');
  const file = input.files?.[0];
  if (!file) return;
  const form = new FormData();
  form.append('file', file);
  say(`Uploading ${file.name}…`);
  try {
    const result = await api('/api/upload', { method: 'POST', body: form });
    say(`Queued: ${result.job_ids.join(', ')}`);
  } catch (error) {
    say(error.message, true);
  } finally {
    input.value = '';
  }
}

// ---- job page ----

let currentJob = null;
let lastJobKey = '';
let outputsKey = '';

function cells(values) {
  return h('tr', {}, ...values.map((v) => h('td', {}, v ?? '')));
}

async function loadJob(id) {
  let detail;
  try {
    detail = await api(`/api/jobs/${encodeURIComponent(id)}`);
  } catch (error) {
    $('#job-title').textContent = id;
    $('#job-meta').textContent = error.message;
    return;
  }
  if (currentJob !== id) return;
  const s = detail.summary ?? { job_id: id, state: detail.output ? 'succeeded' : 'unknown' };
  const manifest = detail.output?.manifest ?? {};
  $('#job-title').textContent = s.title || manifest.title || id;
  const state = $('#job-state');
  state.className = `state-badge ${s.state}`;
  state.textContent = s.state;
  $('#job-meta').textContent = [
    s.artist || manifest.artist,
    id,
    s.queue && `queue ${s.queue}`,
    s.attempts ? `attempt ${s.attempts}` : '',
    s.updated_at && `updated ${ago(s.updated_at)}`,
  ]
    .filter(Boolean)
    .join(' · ');
  const bar = $('#job-progress');
  bar.hidden = !s.progress;
  if (s.progress) setProgress(bar, s.progress);

  const errors = detail.ledger?.errors ?? [];
  const lastError = s.last_error || errors.at(-1)?.message || detail.folderError?.message;
  const errorBox = $('#job-error');
  errorBox.hidden = !(lastError && ['failed', 'rejected', 'retrying'].includes(s.state));
  errorBox.textContent = lastError ?? '';
  $('#retry-button').hidden = !detail.canRetry;

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
}

function fileUrl(id, path) {
  return `/outputs/${encodeURIComponent(id)}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

function renderOutputs(id, output, sync, syncEnabled) {
  const box = $('#outputs');
  box.hidden = !output;
  if (!output) return;
  // Rebuilt only when the artifacts change, so a playing <audio> is not interrupted by live updates.
  const key = JSON.stringify([id, output.artifacts.map((a) => a.sha256 ?? a.path), sync]);
  if (key === outputsKey) return;
  outputsKey = key;
  $('#manifest').textContent = JSON.stringify(output.manifest, null, 2);
  const list = $('#variants');
  list.replaceChildren(
    ...output.artifacts.map((a) => {
      const url = fileUrl(id, a.path);
      const playable = a.kind === 'audio' || a.kind === 'stems';
      const media =
        a.kind === 'video'
          ? h('video', { controls: true, preload: 'metadata', src: url })
          : playable
            ? h('audio', { controls: true, preload: 'metadata', src: url })
            : null;
      const deliveries = sync.filter((e) => e.path === a.path);
      return h(
        'div',
        { class: 'variant', 'data-variant': a.variant ?? a.kind, 'data-kind': a.kind },
        h(
          'div',
          { class: 'head' },
          h('span', { class: 'name' }, a.label || a.variant || a.path),
          h('a', { href: `${url}?download=1`, download: '' }, 'download'),
        ),
        h(
          'div',
          { class: 'facts' },
          [a.path, a.codec, a.duration_sec ? `${a.duration_sec.toFixed(1)} s` : '', bytes(a.bytes)]
            .filter(Boolean)
            .join(' · '),
        ),
        media,
        previewImage(id, a),
        syncEnabled
          ? h(
              'div',
              { class: 'sync' },
              deliveries.length
                ? deliveries.map((d) =>
                    h(
                      'span',
                      { class: `pill ${d.status}`, title: d.detail || '' },
                      `${d.destination}: ${d.status}`,
                    ),
                  )
                : h('span', { class: 'pill' }, 'no route'),
            )
          : null,
      );
    }),
  );
}

/** The server-rendered waveform; a click switches between waveform and spectrogram. */
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

async function retry() {
  const button = $('#retry-button');
  button.disabled = true;
  try {
    await api(`/api/jobs/${encodeURIComponent(currentJob)}/retry`, { method: 'POST' });
    lastJobKey = '';
    await loadJob(currentJob);
  } catch (error) {
    $('#job-error').hidden = false;
    $('#job-error').textContent = `Retry failed: ${error.message}`;
  } finally {
    button.disabled = false;
  }
}

// ---- routing ----

function route() {
  const match = /^#\/job\/(.+)$/.exec(location.hash);
  currentJob = match ? decodeURIComponent(match[1]) : null;
  $('#overview').hidden = currentJob !== null;
  $('#job-detail').hidden = currentJob === null;
  outputsKey = '';
  lastJobKey = '';
  if (currentJob) {
    $('#variants').replaceChildren();
    void loadJob(currentJob);
  }
}

// Sync deliveries and retries change without the job's state changing: refresh an open job page now and then.
setInterval(() => {
  if (currentJob && !document.hidden) void loadJob(currentJob);
}, 4000);

$('#url-form').addEventListener('submit', submitUrl);
$('#upload-input').addEventListener('change', upload);
$('#retry-button').addEventListener('click', retry);
window.addEventListener('hashchange', route);
route();
connect();
