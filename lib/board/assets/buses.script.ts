/** The buses panel: counters, subscriptions, partitions, circuits, health (`assets/buses.js`). @internal */
export const BUSES_JS = String.raw`
import { base, getJson, report } from './api.js';
import { clear, fmtNum, h } from './dom.js';

const POLL_MS = 1500;
let onOpenDlq = () => {};
let onBuses = () => {};
let knownBuses = '';

function subscriptionRow(bus, s) {
  const p = s.persistence;
  const dlqCell = s.persistent
    ? h('button', {
        type: 'button',
        className: 'link dlq-open',
        dataset: { bus: bus.name, subscription: s.id },
        title: 'Show the dead letters of ' + s.id,
        onclick: () => onOpenDlq(bus.name, s.id),
      }, 'DLQ (' + s.dlqSize + ')')
    : h('span', { className: 'muted' }, '–');
  return h('tr', { dataset: { subscription: s.id } },
    h('td', { className: 'mono wrap' }, s.id),
    h('td', { className: 'mono' }, s.pattern),
    h('td', null, s.persistent ? 'persistent' : s.kind),
    h('td', { className: 'mono wrap' }, s.target),
    h('td', { className: 'num' }, fmtNum(s.delivered)),
    h('td', { className: 'num' }, fmtNum(s.failed)),
    h('td', { className: 'num' }, fmtNum(s.inFlight)),
    h('td', { className: 'num' }, fmtNum(p ? p.pending : undefined)),
    h('td', { className: 'num' }, fmtNum(p ? p.retried : undefined)),
    h('td', { className: 'num' }, fmtNum(p ? p.deadLettered : undefined)),
    h('td', { className: 'num' }, fmtNum(s.rateLimited)),
    h('td', { className: 'num dlq-count' }, dlqCell),
  );
}

function busBlock(bus) {
  const head = h('div', { className: 'bus-head' },
    h('h3', null, bus.name),
    h('span', { className: 'badge ' + bus.health.status, title: bus.health.problems.join('; ') }, bus.health.status),
    h('span', null, 'log ' + fmtNum(bus.logSize)),
    h('span', null, 'published ' + fmtNum(bus.published)),
    h('span', null, 'pending publishes ' + fmtNum(bus.pendingPublishes)),
    h('span', { className: 'bus-dlq' }, 'dead letters ' + fmtNum(bus.dlqSize)),
    bus.health.problems.length ? h('span', { className: 'muted' }, bus.health.problems.join('; ')) : null,
  );
  const table = h('table', { className: 'subscriptions' },
    h('thead', null, h('tr', null,
      ...['subscription', 'pattern', 'kind', 'target'].map((t) => h('th', null, t)),
      ...['delivered', 'failed', 'in flight', 'pending', 'retried', 'dead-lettered', 'rate-limited', 'DLQ']
        .map((t) => h('th', { className: 'num' }, t)),
    )),
    h('tbody', null, ...bus.subscriptions.map((s) => subscriptionRow(bus, s))),
  );
  const partitions = bus.partitions.length > 1 || bus.partitions.some((p) => p.tokens !== null)
    ? h('p', { className: 'muted' }, 'partitions: ' + bus.partitions
        .map((p) => '#' + p.index + ' ' + p.subscriptions + ' subs, ' + p.queued + ' queued' +
          (p.tokens === null ? '' : ', ' + p.tokens.toFixed(1) + ' tokens'))
        .join(' · '))
    : null;
  return h('div', { className: 'bus', dataset: { bus: bus.name } }, head, h('div', { className: 'table-wrap' }, table), partitions);
}

function render(overview) {
  const root = clear(document.getElementById('buses'));
  if (overview.buses.length === 0) root.append(h('p', { className: 'muted' }, 'No buses.'));
  for (const bus of overview.buses) root.append(busBlock(bus));
  const circuits = clear(document.getElementById('circuits'));
  if (overview.circuits.length) {
    circuits.append(h('p', null, 'circuits: ',
      ...overview.circuits.map((c) => h('span', { className: 'badge ' + c.state, title: c.failures + ' failures' }, c.key + ' ' + c.state))));
  }
  const names = overview.buses.map((b) => b.name);
  if (names.join('\n') !== knownBuses) {
    knownBuses = names.join('\n');
    onBuses(names);
  }
}

export async function refreshBuses() {
  try {
    render(await getJson(base + '/api/overview'));
  } catch (error) {
    report('Overview failed: ' + error.message, 'error');
  }
}

/** Poll the overview; call openDlq(bus, subscription) from DLQ buttons, busesChanged(names) on changes. */
export function startBuses(openDlq, busesChanged) {
  onOpenDlq = openDlq;
  onBuses = busesChanged;
  refreshBuses();
  setInterval(refreshBuses, POLL_MS);
}
`;
