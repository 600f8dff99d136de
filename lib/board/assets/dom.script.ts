/** DOM and formatting helpers of the page (`assets/dom.js`). @internal */
export const DOM_JS = String.raw`
/** Create an element: h('td', { className: 'num' }, 'text', child). */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
      else if (key in el) el[key] = value;
      else el.setAttribute(key, String(value));
    }
  }
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function fmtTime(value) {
  if (value === undefined || value === null) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleTimeString(undefined, { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

export function fmtBytes(n) {
  if (typeof n !== 'number') return '';
  if (n < 1024) return n + ' B';
  return (n / 1024).toFixed(1) + ' KiB';
}

export function fmtNum(n) {
  return n === undefined || n === null ? '–' : String(n);
}

export function shortId(id) {
  return typeof id === 'string' && id.length > 13 ? id.slice(0, 8) + '…' + id.slice(-4) : String(id);
}
`;
