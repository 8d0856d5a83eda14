// Subscriptions card: channels and playlists the YouTube retriever fetches as they grow. Added here they go
// to state/youtube-retriever/subscriptions.json (POST /api/subscriptions); config ones show once they ran.
import { $, ago, api, h } from './lib.js';

function render(rows) {
  $('#subscriptions-empty').hidden = rows.length > 0;
  $('#subscriptions-table tbody').replaceChildren(
    ...rows.map((row) => {
      const status = row.status;
      const problem =
        status?.error?.message ?? status?.failed?.map((f) => `${f.id}: ${f.message}`).join('; ');
      return h(
        'tr',
        { 'data-subscription': row.id },
        h(
          'td',
          { class: 'song' },
          row.url,
          h('small', {}, [row.source, row.mode].filter(Boolean).join(' · ')),
        ),
        h('td', {}, row.every ? `${row.every}, ≤ ${row.limit}` : ''),
        h('td', { title: status?.last_run_at ?? '' }, status ? ago(status.last_run_at) : 'not yet'),
        h('td', {}, status ? status.fetched.length : ''),
        h('td', {}, problem ? h('span', { class: 'note error' }, problem.slice(0, 120)) : ''),
      );
    }),
  );
}

async function refresh() {
  try {
    render((await api('/api/subscriptions')).subscriptions);
  } catch {
    // The next refresh tries again; the rest of the page does not depend on this card.
  }
}

async function subscribe(event) {
  event.preventDefault();
  const result = $('#subscription-result');
  try {
    const body = {
      url: $('#subscription-url').value,
      mode: $('#subscription-mode').value,
      every: $('#subscription-every').value,
      limit: Number($('#subscription-limit').value),
    };
    const added = await api('/api/subscriptions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    result.textContent = added.added
      ? 'Subscribed; the first run starts within a minute.'
      : 'Already subscribed.';
    result.classList.remove('error');
    $('#subscription-url').value = '';
    await refresh();
  } catch (error) {
    result.textContent = error.message;
    result.classList.add('error');
  }
}

export function startSubscriptions() {
  $('#subscription-form').addEventListener('submit', subscribe);
  void refresh();
  setInterval(() => void refresh(), 30_000);
}
