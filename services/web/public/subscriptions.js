// @ts-check
// Subscriptions card: channels and playlists the YouTube retriever fetches as they grow. Added here they go
// to state/youtube-retriever/subscriptions.json (POST /api/subscriptions); config ones show once they ran.
import { $, ago, api, dropInvisibleAround, errorText, facts, h } from './lib.js';

/** @typedef {import('../src/api-types.ts').SubscriptionAddedResponse} SubscriptionAddedResponse */
/** @typedef {import('../src/api-types.ts').SubscriptionRow} SubscriptionRow */
/** @typedef {import('../src/api-types.ts').SubscriptionsResponse} SubscriptionsResponse */

/** @param {SubscriptionRow[]} rows */
function render(rows) {
  $('#subscriptions-empty').hidden = rows.length > 0;
  $('#subscriptions-table tbody').replaceChildren(
    ...rows.map((row) => {
      const status = row.status;
      // A subscription from config is known by its status only (no mode, every or limit here).
      const settings = 'every' in row ? row : undefined;
      // A run that failed whole is tried again sooner than `every`: say when, so a blip does not look stuck.
      const retry = status?.retry_at
        ? ` (failed ${status.failures_in_a_row ?? 1}× in a row; trying again at ${new Date(status.retry_at).toLocaleTimeString()})`
        : '';
      const problem = status?.error
        ? `${status.error.message.slice(0, 120)}${retry}`
        : status?.failed
            .map((f) => `${f.id}: ${f.message}`)
            .join('; ')
            .slice(0, 120);
      return h(
        'tr',
        { 'data-subscription': row.id },
        h('td', { class: 'song' }, row.url, h('small', {}, facts(row.source, settings?.mode))),
        h('td', {}, settings?.every ? `${settings.every}, ≤ ${settings.limit}` : ''),
        h('td', { title: status?.last_run_at ?? '' }, status ? ago(status.last_run_at) : 'not yet'),
        h('td', {}, status ? status.fetched.length : ''),
        h(
          'td',
          { class: 'subscription-notes' },
          problem ? h('span', { class: 'note error' }, problem) : '',
          // What the last run said without failing (a YouTube Mix not fetched, a list not followed, more
          // entries than the limit): whole, as each says what to do.
          (status?.warnings ?? []).map((warning) =>
            h('span', { class: 'note', 'data-warning': '' }, warning),
          ),
        ),
      );
    }),
  );
}

async function refresh() {
  try {
    /** @type {SubscriptionsResponse} */
    const { subscriptions } = await api('/api/subscriptions');
    render(subscriptions);
  } catch {
    // The next refresh tries again; the rest of the page does not depend on this card.
  }
}

/** @param {SubmitEvent} event */
async function subscribe(event) {
  event.preventDefault();
  const result = $('#subscription-result');
  try {
    const body = {
      url: $('#subscription-url', HTMLInputElement).value,
      mode: $('#subscription-mode', HTMLSelectElement).value,
      every: $('#subscription-every', HTMLInputElement).value,
      limit: Number($('#subscription-limit', HTMLInputElement).value),
    };
    /** @type {SubscriptionAddedResponse} */
    const added = await api('/api/subscriptions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    result.textContent = added.added
      ? 'Subscribed; the first run starts within a minute.'
      : 'Already subscribed.';
    result.classList.remove('error');
    $('#subscription-url', HTMLInputElement).value = '';
    await refresh();
  } catch (error) {
    result.textContent = errorText(error);
    result.classList.add('error');
  }
}

export function startSubscriptions() {
  dropInvisibleAround($('#subscription-url', HTMLInputElement));
  $('#subscription-form').addEventListener('submit', (event) => void subscribe(event));
  void refresh();
  setInterval(() => void refresh(), 30_000);
}
