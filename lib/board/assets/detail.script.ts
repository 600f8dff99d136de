/** The detail view of one signal (`assets/detail.js`). @internal */
export const DETAIL_JS = String.raw`
import { clear, fmtBytes, fmtTime, h } from './dom.js';

let onTrace = () => {};

export function setTraceHandler(handler) {
  onTrace = handler;
}

function fields(record) {
  const entries = Object.entries(record || {});
  if (entries.length === 0) return h('p', { className: 'muted' }, 'none');
  const dl = h('dl');
  for (const [key, value] of entries) {
    dl.append(h('dt', null, key), h('dd', { className: 'mono' }, typeof value === 'string' ? value : JSON.stringify(value)));
  }
  return dl;
}

/** Show a signal view (attributes, extensions, data as formatted JSON, size). */
export function showDetail(view, bus) {
  const root = clear(document.getElementById('detail'));
  root.append(
    h('h3', { className: 'mono detail-type' }, view.type),
    h('p', { className: 'muted' },
      'size ' + fmtBytes(view.size) + (view.recordedAt ? ' · recorded ' + fmtTime(view.recordedAt) : ''), ' ',
      bus ? h('button', { type: 'button', className: 'trace-open', onclick: () => onTrace(bus, view.id) }, 'Trace') : null),
    h('h4', null, 'Attributes'), fields(view.attributes),
    h('h4', null, 'Extensions'), fields(view.extensions),
    h('h4', null, 'Data'),
    h('pre', { className: 'mono detail-data' }, view.data === undefined ? '(no data)' : JSON.stringify(view.data, null, 2)),
  );
}
`;
