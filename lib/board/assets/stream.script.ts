/** The live stream (Server-Sent Events), filter, pause and replay view (`assets/stream.js`). @internal */
export const STREAM_JS = String.raw`
import { busPath, getJson, report } from './api.js';
import { clear, fmtBytes, fmtTime, h, shortId } from './dom.js';
import { showDetail } from './detail.js';

/** Rows kept in the table; older ones are removed. Bounds the page's work and memory. */
const MAX_ROWS = 200;

const state = {
  bus: '',
  pattern: '**',
  source: null,
  paused: false,
  replaying: false,
  received: 0,
  coalesced: 0,
  missed: 0,
  queue: [],
  frame: 0,
  views: new Map(),
};

function info() {
  const el = document.getElementById('stream-info');
  if (state.replaying) return;
  el.textContent = (state.paused ? 'paused · ' + state.missed + ' not shown · ' : '') +
    state.received + ' received' + (state.coalesced ? ' · ' + state.coalesced + ' coalesced by the server' : '');
}

function row(view) {
  return h('tr', { dataset: { id: view.id, type: view.type } },
    h('td', { className: 'mono' }, fmtTime(view.recordedAt || view.time)),
    h('td', { className: 'mono signal-type' }, view.type),
    h('td', { className: 'mono' }, view.source),
    h('td', { className: 'mono', title: view.id }, shortId(view.id)),
    h('td', { className: 'num' }, fmtBytes(view.size)),
  );
}

/** Add views (oldest first) at the top of the table, keeping MAX_ROWS. */
function prepend(views) {
  const body = document.getElementById('stream-rows');
  const fragment = document.createDocumentFragment();
  for (let i = views.length - 1; i >= 0; i--) {
    state.views.set(views[i].id, views[i]);
    fragment.append(row(views[i]));
  }
  body.prepend(fragment);
  while (body.rows.length > MAX_ROWS) {
    const last = body.rows[body.rows.length - 1];
    state.views.delete(last.dataset.id);
    last.remove();
  }
}

function flush() {
  state.frame = 0;
  const views = state.queue;
  state.queue = [];
  if (!state.replaying) prepend(views);
  info();
}

function onBatch(event) {
  const batch = JSON.parse(event.data);
  state.received += batch.matched;
  state.coalesced += batch.dropped;
  if (state.paused || state.replaying) {
    state.missed += batch.signals.length;
    info();
    return;
  }
  // Only the newest MAX_ROWS can be shown: drop the rest before touching the DOM.
  state.queue = state.queue.concat(batch.signals).slice(-MAX_ROWS);
  if (!state.frame) state.frame = requestAnimationFrame(flush);
}

function connect() {
  if (state.source) state.source.close();
  state.source = null;
  if (!state.bus) return;
  const url = busPath(state.bus) + '/stream?pattern=' + encodeURIComponent(state.pattern);
  const source = new EventSource(url, { withCredentials: true });
  // Connection state for operators (and tests): connecting, open, closed.
  document.body.dataset.stream = 'connecting';
  source.addEventListener('open', () => { document.body.dataset.stream = 'open'; });
  source.addEventListener('batch', onBatch);
  source.addEventListener('error', () => {
    document.body.dataset.stream = source.readyState === EventSource.OPEN ? 'open' : 'connecting';
    if (source.readyState === EventSource.CLOSED) report('Live stream closed; change the filter to reconnect', 'error');
  });
  state.source = source;
}

function resetTable() {
  clear(document.getElementById('stream-rows'));
  state.views.clear();
  state.queue = [];
  state.received = 0;
  state.coalesced = 0;
  state.missed = 0;
}

/** Switch the live stream to a bus (and keep the pattern). */
export function setStreamBus(bus) {
  state.bus = bus;
  resetTable();
  connect();
  info();
}

async function runReplay(event) {
  event.preventDefault();
  const params = new URLSearchParams();
  const since = document.getElementById('replay-since').value;
  const until = document.getElementById('replay-until').value;
  if (since) params.set('since', String(new Date(since).getTime()));
  if (until) params.set('until', String(new Date(until).getTime()));
  params.set('pattern', document.getElementById('replay-pattern').value || '**');
  params.set('limit', document.getElementById('replay-limit').value || '200');
  try {
    const views = await getJson(busPath(state.bus) + '/replay?' + params.toString());
    state.replaying = true;
    clear(document.getElementById('stream-rows'));
    state.views.clear();
    prepend(views.slice(-MAX_ROWS));
    document.getElementById('replay-back').hidden = false;
    document.getElementById('stream-info').textContent = 'replay: ' + views.length + ' signal(s) from the log (read-only, nothing republished)';
  } catch (error) {
    report('Replay failed: ' + error.message, 'error');
  }
}

export function initStream() {
  document.getElementById('stream-form').addEventListener('submit', (event) => {
    event.preventDefault();
    state.pattern = document.getElementById('stream-pattern').value.trim() || '**';
    state.bus = document.getElementById('stream-bus').value;
    resetTable();
    connect();
    info();
  });
  document.getElementById('stream-pause').addEventListener('click', (event) => {
    state.paused = !state.paused;
    state.missed = 0;
    event.target.textContent = state.paused ? 'Resume' : 'Pause';
    info();
  });
  document.getElementById('stream-rows').addEventListener('click', (event) => {
    const tr = event.target.closest('tr');
    if (!tr) return;
    const view = state.views.get(tr.dataset.id);
    if (!view) return;
    for (const selected of document.querySelectorAll('#stream-rows tr.selected')) selected.classList.remove('selected');
    tr.classList.add('selected');
    showDetail(view, state.bus);
  });
  document.getElementById('replay-form').addEventListener('submit', runReplay);
  document.getElementById('replay-back').addEventListener('click', () => {
    state.replaying = false;
    document.getElementById('replay-back').hidden = true;
    resetTable();
    info();
  });
}
`;
