/** The DLQ of one subscription: list, inspect, redrive, delete (`assets/dlq.js`). @internal */
export const DLQ_JS = String.raw`
import { busPath, getJson, postJson, readOnly, report } from './api.js';
import { refreshBuses } from './buses.js';
import { clear, fmtTime, h, shortId } from './dom.js';
import { showDetail } from './detail.js';

let current = null;

function dlqPath(bus, subscription) {
  return busPath(bus) + '/subscriptions/' + encodeURIComponent(subscription) + '/dlq';
}

async function act(verb, body, question) {
  if (!current || readOnly) return;
  if (!window.confirm(question)) return;
  const { bus, subscription } = current;
  try {
    const result = await postJson(dlqPath(bus, subscription) + '/' + verb, body);
    report(verb === 'redrive'
      ? 'Redriven ' + result.redriven + (result.failed ? ', ' + result.failed + ' could not be taken' : '') + ' (' + subscription + ')'
      : 'Deleted ' + result.deleted + ' DLQ entr' + (result.deleted === 1 ? 'y' : 'ies') + ' (' + subscription + ')', 'ok');
  } catch (error) {
    report(verb + ' failed: ' + error.message, 'error');
  }
  await Promise.all([loadDlq(), refreshBuses()]);
}

function entryRow(entry) {
  const actions = readOnly ? null : h('span', null,
    h('button', { type: 'button', className: 'action redrive-one', onclick: () => act('redrive', { ids: [entry.id] }, 'Redrive ' + entry.signal.type + ' (' + entry.signal.id + ')?') }, 'Redrive'), ' ',
    h('button', { type: 'button', className: 'action danger delete-one', onclick: () => act('delete', { ids: [entry.id] }, 'Delete the DLQ entry of ' + entry.signal.type + ' (' + entry.signal.id + ')? This cannot be undone.') }, 'Delete'));
  return h('tr', { dataset: { entry: entry.id } },
    h('td', { className: 'mono' }, fmtTime(entry.insertedAt)),
    h('td', { className: 'mono' }, h('button', { type: 'button', className: 'link', onclick: () => showDetail(entry.signal, current && current.bus) }, entry.signal.type)),
    h('td', { className: 'mono', title: entry.signal.id }, shortId(entry.signal.id)),
    h('td', { className: 'num' }, entry.attempts),
    h('td', { className: 'mono' }, entry.lastError.code + ': ' + entry.lastError.message),
    h('td', null, actions),
  );
}

export async function loadDlq() {
  if (!current) return;
  const { bus, subscription } = current;
  try {
    const entries = await getJson(dlqPath(bus, subscription));
    const rows = clear(document.getElementById('dlq-rows'));
    if (entries.length === 0) rows.append(h('tr', null, h('td', { colSpan: 6, className: 'muted' }, 'No dead letters.')));
    for (const entry of entries) rows.append(entryRow(entry));
    document.getElementById('dlq-title').textContent = bus + ' / ' + subscription + ' (' + entries.length + ')';
  } catch (error) {
    report('DLQ failed: ' + error.message, 'error');
  }
}

/** Show the DLQ of a subscription. */
export function openDlq(bus, subscription) {
  current = { bus, subscription };
  document.getElementById('dlq-section').hidden = false;
  const actions = clear(document.getElementById('dlq-actions'));
  if (!readOnly) {
    actions.append(h('p', { className: 'toolbar' },
      h('button', { type: 'button', className: 'action redrive-all', onclick: () => act('redrive', { all: true }, 'Redrive every DLQ entry of ' + subscription + '?') }, 'Redrive all'),
      h('button', { type: 'button', className: 'action danger delete-all', onclick: () => act('delete', { all: true }, 'Delete every DLQ entry of ' + subscription + '? This cannot be undone.') }, 'Delete all'),
    ));
  }
  loadDlq();
}
`;
