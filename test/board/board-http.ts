/** HTTP helpers of the board specs: a session (cookie + CSRF token), a small SSE reader and a poll. */

/** The board page's session: its cookie and CSRF token. */
export interface BoardSession {
  readonly cookie: string;
  readonly csrf: string;
}

/** Load the page at `url` and take its session cookie and CSRF token. */
export async function openSession(
  url: string,
  headers: Record<string, string> = {},
): Promise<BoardSession> {
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  const html = await res.text();
  const setCookie = res.headers.get('set-cookie') ?? '';
  const csrf = /name="jido-board-csrf" content="([^"]+)"/.exec(html)?.[1];
  if (csrf === undefined || setCookie === '') throw new Error('no CSRF token or cookie');
  return { cookie: setCookie.split(';')[0], csrf };
}

/** POST JSON with the session's cookie and token (each can be left out or replaced). */
export function post(
  url: string,
  body: unknown,
  session: Partial<BoardSession> | undefined,
  extra: Record<string, string> = {},
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extra };
  if (session?.cookie !== undefined) headers.cookie = session.cookie;
  if (session?.csrf !== undefined) headers['x-jido-board-csrf'] = session.csrf;
  return fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
}

/** One parsed Server-Sent Event. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/**
 * Read Server-Sent Events from `url` until `done` returns true for the events so far (or
 * `timeoutMs` passes), then disconnect. Once the stream answered, `publish` runs every 250 ms
 * until then: the server subscribes to the bus just after it answers, so a single publish
 * could come first and be missed (the board streams live signals only).
 */
export async function readSse(
  url: string,
  done: (events: readonly SseEvent[]) => boolean,
  timeoutMs = 5_000,
  publish?: () => Promise<unknown>,
): Promise<{ status: number; contentType: string | null; events: SseEvent[] }> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const res = await fetch(url, { signal: ac.signal });
  const events: SseEvent[] = [];
  if (res.status !== 200 || res.body === null) {
    clearTimeout(timer);
    await res.body?.cancel();
    return { status: res.status, contentType: res.headers.get('content-type'), events };
  }
  const publisher =
    publish === undefined ? undefined : setInterval(() => void publish().catch(() => {}), 250);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    while (!done(events)) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
        }
        if (data.length > 0) events.push({ event, data: data.join('\n') });
      }
    }
  } catch (error) {
    if (!ac.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    clearInterval(publisher);
    ac.abort();
  }
  return { status: res.status, contentType: res.headers.get('content-type'), events };
}

/** Poll `probe` every `interval` ms until it returns a value; fail after `ms`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 5_000,
  interval = 25,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}
