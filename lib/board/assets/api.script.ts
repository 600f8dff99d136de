/** Server access and the status line of the page (`assets/api.js`). @internal */
export const API_JS = String.raw`
function meta(name) {
  const el = document.querySelector('meta[name="' + name + '"]');
  return el ? el.getAttribute('content') : '';
}

export const base = meta('jido-board-base');
export const readOnly = meta('jido-board-readonly') === 'true';
const csrf = meta('jido-board-csrf');

export function busPath(bus) {
  return base + '/api/buses/' + encodeURIComponent(bus);
}

async function parse(res) {
  const text = await res.text();
  let body;
  try { body = text === '' ? undefined : JSON.parse(text); } catch { body = text; }
  if (!res.ok) {
    const message = body && typeof body === 'object' && body.message ? body.message : res.status + ' ' + res.statusText;
    throw new Error(message);
  }
  return body;
}

export async function getJson(path) {
  return parse(await fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin' }));
}

export async function postJson(path, body) {
  return parse(await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-jido-board-csrf': csrf },
    body: JSON.stringify(body),
  }));
}

/** Report the outcome of an action (or an error) in the header. */
export function report(message, kind) {
  const out = document.getElementById('report');
  out.textContent = message;
  out.className = kind || '';
}
`;
