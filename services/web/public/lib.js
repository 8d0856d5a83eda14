// @ts-check
// Small helpers shared by the dashboard's modules: DOM building, formatting, the JSON API.
// Type-checked without a build step (services/web/public/tsconfig.json, part of `npm run typecheck`).

// The JSON bodies come from the server's own types (services/web/src/api-types.ts): a change there fails
// this check too.

/** @typedef {import('../src/api-types.ts').ApiError} ApiError */
/** @typedef {import('../src/api-types.ts').EngineFacts} EngineFacts */
/** @typedef {import('../src/api-types.ts').OutputArtifact} OutputArtifact */
/** @typedef {NonNullable<import('../src/api-types.ts').JobSummary['progress']>} StageProgress */
/** @typedef {Node | string | number | boolean | null | undefined} Child */

/**
 * The page's element `selector` (index.html holds every one the modules use), as an instance of `type`
 * (`HTMLInputElement`, …; default HTMLElement); a clear error naming the selector when it is missing.
 * @template {Element} [E=HTMLElement]
 * @param {string} selector
 * @param {{ new (): E, prototype: E }} [type]
 * @returns {E}
 */
export function $(selector, type) {
  const el = document.querySelector(selector);
  const expected = type ?? HTMLElement;
  if (!(el instanceof expected)) throw new Error(`the page has no ${expected.name} ${selector}`);
  return /** @type {E} */ (el);
}

/** The words of a thrown value (an Error's message). @param {unknown} error */
export function errorText(error) {
  return error instanceof Error ? error.message : String(error);
}

// Explicit bidi formatting characters: embeddings and overrides (U+202A-U+202E), isolates (U+2066-U+2069),
// marks (U+200E, U+200F, U+061C). An override in a song's tags (U+202E, RIGHT-TO-LEFT OVERRIDE) runs to the
// end of its line: the job id shown after an artist holding one was drawn backwards.
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * Text from outside (a song's tags, a file name) that holds bidi controls, wrapped in an isolate
 * (U+2068 … U+2069): whatever direction it sets ends with it. Other text is returned as it is.
 * @param {string} text
 */
export function isolate(text) {
  return BIDI_CONTROLS.test(text) ? `\u2068${text}\u2069` : text;
}

/**
 * Facts shown on one line, "Artist · job_id · queue other": the empty ones left out, each isolated (a
 * direction one sets never reaches the next).
 * @param {...(string | number | null | undefined | false)} parts
 */
export function facts(...parts) {
  return parts
    .filter((part) => part !== undefined && part !== null && part !== false && part !== '')
    .map((part) => isolate(String(part)))
    .join(' · ');
}

/**
 * Builds an element; strings become text nodes (never HTML), so names from metadata cannot inject markup,
 * each isolated when it holds bidi controls (see {@link isolate}).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number | boolean | null | undefined | EventListener>} [attrs] `class`,
 *   `on<event>` listeners, other attributes
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(isolate(String(child))));
  }
  return el;
}

/** @param {string | null | undefined} iso */
export function ago(iso) {
  if (!iso) return '';
  const sec = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (sec < 60) return `${sec}s ago`;
  if (sec < 3600) return `${Math.round(sec / 60)} min ago`;
  if (sec < 86400) return `${Math.round(sec / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

/** @param {number | null | undefined} sec */
export function duration(sec) {
  if (sec === null || sec === undefined) return '';
  if (sec < 60) return `${sec}s`;
  if (sec < 3600) return `${Math.round(sec / 60)} min`;
  return `${(sec / 3600).toFixed(1)} h`;
}

/** @param {unknown} n */
export function bytes(n) {
  if (typeof n !== 'number') return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']; // as formatBytes in @imk/log says them
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** The CSRF token of a login session (cookie imk_csrf), sent back with every change the page makes. */
function csrfToken() {
  const match = /(?:^|;\s*)imk_csrf=([^;]*)/.exec(document.cookie);
  return match?.[1] !== undefined ? decodeURIComponent(match[1]) : undefined;
}

/**
 * The JSON API: the parsed body, or an Error with the server's message; a 401 goes to the login page.
 * @param {string} path
 * @param {RequestInit} [options]
 * @template [T=unknown] the route's response type (a typedef of the server's type)
 * @returns {Promise<T>}
 */
export async function api(path, options = {}) {
  const headers = new Headers(options.headers);
  const token = csrfToken();
  if (token && options.method && options.method !== 'GET') headers.set('x-csrf-token', token);
  const response = await fetch(path, { credentials: 'same-origin', ...options, headers });
  if (response.status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname + location.hash)}`;
    throw new Error('not signed in');
  }
  /** @type {unknown} */
  const body = response.headers.get('content-type')?.includes('json')
    ? await response.json()
    : await response.text();
  if (!response.ok)
    throw new Error(/** @type {Partial<ApiError> | null} */ (body)?.message ?? `HTTP ${response.status}`);
  return /** @type {T} */ (body);
}

/** @param {string} state */
export function badge(state) {
  return h('span', { class: `state-badge ${state}` }, state);
}

/** @param {StageProgress} progress */
export function progressBar(progress) {
  const el = h('div', { class: 'progress' }, h('div', { class: 'bar' }), h('span', { class: 'label' }));
  setProgress(el, progress);
  return el;
}

/** @param {HTMLElement} el @param {StageProgress} progress */
export function setProgress(el, progress) {
  const percent = Math.max(0, Math.min(100, Math.round(progress.percent)));
  const bar = /** @type {HTMLElement | null} */ (el.querySelector('.bar'));
  if (bar) bar.style.width = `${percent}%`;
  const label = el.querySelector('.label');
  if (label) label.textContent = `${progress.stage} ${percent}%`;
}

/**
 * "mdx 1 · model Inst_HQ_3.onnx" (with `hash`: "… · hash 55657dd7…") for a job's engine facts from
 * /api/jobs; '' for a job with none (not separated yet, or an earlier version's manifest).
 * @param {EngineFacts | null | undefined} engine
 * @param {{ hash?: boolean }} [options]
 */
export function engineText(engine, { hash = false } = {}) {
  if (!engine?.name) return '';
  return facts(
    engine.version ? `${engine.name} ${engine.version}` : engine.name,
    engine.model && `model ${engine.model}`,
    hash && engine.model_hash && `hash ${engine.model_hash}`,
  );
}

/**
 * "turned down 2.3 dB to avoid clipping" for a file the worker turned down so that it does not clip (its
 * manifest's gain_db), or '': the job page's outputs and the mixer's "Saved as" say it alike.
 * @param {Pick<OutputArtifact, 'gain_db' | 'kind'>} a
 */
export function turnedDownText(a) {
  if (typeof a.gain_db !== 'number' || a.gain_db >= 0) return '';
  const db = Math.abs(a.gain_db).toFixed(1);
  // Kept stems are turned down together, so that they still add up to the song.
  const alike = a.kind === 'stems' ? ' (all kept stems alike, so they still add up to the song)' : '';
  return `turned down ${db} dB to avoid clipping${alike}`;
}

// White space around a pasted link that holds an invisible format character (zero-width space, joiner,
// direction mark, word joiner, BOM: what chat apps and web pages paste with links). The server drops these
// too (@imk/retriever-sdk trimLink), but with one in front the browser's own check of a type=url field
// said "Please enter a URL." of a link that looked right, and the page never sent it. White space alone
// is left as typed (a space may be the next character of a link to "My Song.mp3").
const INVISIBLE_AROUND = /^[\s\p{Cf}]+|[\s\p{Cf}]+$/gu;

/**
 * Drops invisible characters (and the white space beside them) from the ends of a link field as it is
 * pasted or typed into, so the browser's check and the server see the link itself.
 * @param {HTMLInputElement} input
 */
export function dropInvisibleAround(input) {
  input.addEventListener('input', () => {
    const cleaned = input.value.replace(INVISIBLE_AROUND, (run) => (/\p{Cf}/u.test(run) ? '' : run));
    if (cleaned !== input.value) input.value = cleaned;
  });
}

// A number as people type it: an optional sign, digits with one decimal point or comma. U+2212 MINUS SIGN
// (as the docs write "−2") is a minus; a field of type=number turned a pasted "−2" into 2 (the opposite key)
// and dropped a decimal comma ("0,8" became 08).
const TYPED_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * The number a person typed: "0,8" and "0.8" alike, "−2" (U+2212) as "-2", spaces around it ignored;
 * `empty` for an empty field (undefined when an empty field holds no number either), undefined for anything
 * else ("2-", "1e3", "0,8,1", "two").
 * @param {string} text
 * @param {number | undefined} empty
 * @returns {number | undefined}
 */
export function parseTypedNumber(text, empty) {
  const plain = text
    .trim()
    .replace(/\u2212/g, '-')
    .replace(',', '.');
  if (plain === '') return empty;
  return TYPED_NUMBER.test(plain) ? Number(plain) : undefined;
}

/**
 * A text field for a number (a key change, a tempo, a level), read through {@link readNumberFields}: the
 * browser keeps what was typed, where a field of type=number changed it (see TYPED_NUMBER).
 * @param {Record<string, string | number>} attrs `class`, `value`, `aria-label`, …
 * @returns {HTMLInputElement}
 */
export function numberField(attrs) {
  return h('input', {
    type: 'text',
    inputmode: 'decimal',
    autocomplete: 'off',
    spellcheck: 'false',
    ...attrs,
  });
}

/**
 * The numbers typed in `fields` (each field's `empty` when it is empty), or the first field holding
 * anything else, for the form to say so naming it rather than save a default (no key change, a silent stem).
 * A field whose `empty` is undefined must hold a number: empty, it is `unread` too, with `blank` true.
 * @template {{ field: HTMLInputElement, empty: number | undefined }} T
 * @param {T[]} fields
 * @returns {{ values: number[], unread?: undefined } | { values?: undefined, unread: T, blank: boolean }}
 */
export function readNumberFields(fields) {
  /** @type {number[]} */
  const values = [];
  for (const entry of fields) {
    const value = parseTypedNumber(entry.field.value, entry.empty);
    if (value === undefined) return { unread: entry, blank: entry.field.value.trim() === '' };
    values.push(value);
  }
  return { values };
}
