/** What the page needs from the server. @internal */
export interface BoardPageParams {
  readonly title: string;
  /** Mount path as requested (`/board`, `/api/board` behind a global prefix). */
  readonly base: string;
  /** CSRF token for actions (see `BoardCsrf`). */
  readonly csrf: string;
  readonly readOnly: boolean;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/**
 * The board's only HTML: a static skeleton the scripts fill in. No inline script or style
 * (the CSP forbids them); server values travel in `<meta>` tags.
 * @internal
 */
export function renderPage(params: BoardPageParams): string {
  const title = escapeHtml(params.title);
  const base = escapeHtml(params.base);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="jido-board-base" content="${base}">
<meta name="jido-board-csrf" content="${escapeHtml(params.csrf)}">
<meta name="jido-board-readonly" content="${params.readOnly ? 'true' : 'false'}">
<title>${title}</title>
<link rel="stylesheet" href="${base}/assets/board.css">
<script type="module" src="${base}/assets/app.js"></script>
</head>
<body>
<header>
  <h1>${title}</h1>
  <span id="mode">${params.readOnly ? 'read-only' : ''}</span>
  <output id="report" role="status" aria-live="polite"></output>
</header>
<main>
  <section id="buses-section" aria-labelledby="buses-h">
    <h2 id="buses-h">Buses</h2>
    <div id="circuits"></div>
    <div id="buses"><p class="muted">Loading…</p></div>
  </section>
  <section id="dlq-section" aria-labelledby="dlq-h" hidden>
    <h2 id="dlq-h">Dead letters <span id="dlq-title"></span></h2>
    <div id="dlq-actions"></div>
    <table id="dlq-table">
      <thead><tr><th>inserted</th><th>type</th><th>signal id</th><th>attempts</th><th>last error</th><th></th></tr></thead>
      <tbody id="dlq-rows"></tbody>
    </table>
  </section>
  <section id="stream-section" aria-labelledby="stream-h">
    <h2 id="stream-h">Signals</h2>
    <form id="stream-form" class="toolbar">
      <label>bus <select id="stream-bus"></select></label>
      <label>pattern <input id="stream-pattern" value="**" spellcheck="false" size="24"></label>
      <button type="submit" id="stream-apply">Filter</button>
      <button type="button" id="stream-pause">Pause</button>
      <span id="stream-info" class="muted"></span>
    </form>
    <form id="replay-form" class="toolbar">
      <label>replay from <input id="replay-since" type="datetime-local" step="1"></label>
      <label>to <input id="replay-until" type="datetime-local" step="1"></label>
      <label>pattern <input id="replay-pattern" value="**" spellcheck="false" size="16"></label>
      <label>max <input id="replay-limit" type="number" min="1" value="200"></label>
      <button type="submit" id="replay-run">Replay</button>
      <button type="button" id="replay-back" hidden>Back to live</button>
    </form>
    <div class="split">
      <div class="scroll">
        <table id="stream-table">
          <thead><tr><th>time</th><th>type</th><th>source</th><th>id</th><th>size</th></tr></thead>
          <tbody id="stream-rows"></tbody>
        </table>
      </div>
      <aside id="detail" aria-label="Signal detail"><p class="muted">Select a signal.</p></aside>
    </div>
  </section>
  <section id="trace-section" aria-labelledby="trace-h">
    <h2 id="trace-h">Causality trace</h2>
    <form id="trace-form" class="toolbar">
      <label>bus <select id="trace-bus"></select></label>
      <label>signal id <input id="trace-id" spellcheck="false" size="40"></label>
      <button type="submit">Trace</button>
    </form>
    <div id="trace"></div>
  </section>
</main>
</body>
</html>
`;
}
