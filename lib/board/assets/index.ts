import { API_JS } from './api.script.js';
import { APP_JS } from './app.script.js';
import { BUSES_JS } from './buses.script.js';
import { DETAIL_JS } from './detail.script.js';
import { DLQ_JS } from './dlq.script.js';
import { DOM_JS } from './dom.script.js';
import { STREAM_JS } from './stream.script.js';
import { BOARD_CSS } from './board.style.js';
import { TRACE_JS } from './trace.script.js';

/** One static file of the page. @internal */
export interface BoardAsset {
  readonly contentType: string;
  readonly body: string;
}

const JS = 'text/javascript; charset=utf-8';

/**
 * The page's files, shipped as string constants (the build copies only TypeScript output)
 * and served from `<path>/assets/<name>`: no CDN, no external network.
 * @internal
 */
export const BOARD_ASSETS: Readonly<Record<string, BoardAsset>> = Object.freeze({
  'board.css': { contentType: 'text/css; charset=utf-8', body: BOARD_CSS },
  'app.js': { contentType: JS, body: APP_JS },
  'api.js': { contentType: JS, body: API_JS },
  'dom.js': { contentType: JS, body: DOM_JS },
  'buses.js': { contentType: JS, body: BUSES_JS },
  'stream.js': { contentType: JS, body: STREAM_JS },
  'detail.js': { contentType: JS, body: DETAIL_JS },
  'dlq.js': { contentType: JS, body: DLQ_JS },
  'trace.js': { contentType: JS, body: TRACE_JS },
});
