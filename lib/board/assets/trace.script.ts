/** The causality tree of a signal, clickable through causes and effects (`assets/trace.js`). @internal */
export const TRACE_JS = String.raw`
import { busPath, getJson, report } from './api.js';
import { clear, fmtTime, h, shortId } from './dom.js';
import { showDetail } from './detail.js';

function nodeItem(node, children, focus, bus) {
  const item = h('li', { dataset: { id: node.id, type: node.signal.type } },
    h('button', {
      type: 'button',
      className: 'trace-node' + (node.id === focus ? ' focus' : ''),
      title: node.id,
      onclick: () => { showDetail(node.signal, bus); showTrace(bus, node.id); },
    }, node.signal.type),
    ' ', h('span', { className: 'muted mono' }, shortId(node.id) + ' · ' + fmtTime(node.time)));
  const kids = children.get(node.id) || [];
  if (kids.length) item.append(h('ul', null, ...kids.map((k) => nodeItem(k, children, focus, bus))));
  return item;
}

/** Load and draw the tree holding signal id (root at the top, effects below). */
export async function showTrace(bus, id) {
  document.getElementById('trace-id').value = id;
  const root = document.getElementById('trace');
  try {
    const trace = await getJson(busPath(bus) + '/trace/' + encodeURIComponent(id));
    const children = new Map();
    let top = null;
    for (const node of trace.nodes) {
      if (node.id === trace.root) { top = node; continue; }
      const list = children.get(node.causeId) || [];
      list.push(node);
      children.set(node.causeId, list);
    }
    clear(root);
    if (!top) { root.append(h('p', { className: 'muted' }, 'Not in the journal.')); return; }
    root.append(h('ul', { className: 'tree' }, nodeItem(top, children, trace.focus, bus)));
    if (trace.truncated) root.append(h('p', { className: 'muted' }, 'Tree cut at ' + trace.nodes.length + ' signals.'));
    document.getElementById('trace-section').scrollIntoView({ block: 'nearest' });
  } catch (error) {
    clear(root).append(h('p', { className: 'muted' }, error.message));
    report('Trace failed: ' + error.message, 'error');
  }
}

export function initTrace() {
  document.getElementById('trace-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const id = document.getElementById('trace-id').value.trim();
    if (id) showTrace(document.getElementById('trace-bus').value, id);
  });
}
`;
