import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SignalBoardError } from './board.error.js';

/** Header carrying the CSRF token on every action (POST). */
export const BOARD_CSRF_HEADER = 'x-jido-board-csrf';

/** The request fields the CSRF check reads (Express and Fastify requests both have them). */
export interface BoardRequestHeaders {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

function header(req: BoardRequestHeaders, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readCookie(req: BoardRequestHeaders, name: string): string | undefined {
  const cookie = header(req, 'cookie');
  if (cookie === undefined) return undefined;
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const SID_RE = /^[A-Za-z0-9_-]{22,64}$/;

/**
 * CSRF protection of the board's actions — a signed double-submit token. The page gets an
 * HttpOnly, SameSite=Strict session cookie holding a random id and, in a `<meta>` tag, the
 * HMAC of that id under a secret generated per application start. An action must send the
 * HMAC in the `x-jido-board-csrf` header (a custom header: a cross-site form cannot set it,
 * and a cross-site `fetch` with it needs a CORS preflight the board never grants), must
 * carry the cookie, and must not come from another origin (`Origin` / `Sec-Fetch-Site`).
 * @internal
 */
export class BoardCsrf {
  readonly #secret = randomBytes(32);
  readonly cookieName: string;

  constructor(mountPath: string) {
    this.cookieName = `jido_board_${mountPath.replace(/[^A-Za-z0-9]/g, '_')}`;
  }

  /**
   * The session id of this request (from its cookie) and, when it had none, the
   * `Set-Cookie` value to send.
   */
  session(req: BoardRequestHeaders, secure: boolean): { token: string; setCookie?: string } {
    const current = readCookie(req, this.cookieName);
    if (current !== undefined && SID_RE.test(current)) return { token: this.#sign(current) };
    const sid = randomBytes(24).toString('base64url');
    const attributes = `Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
    return { token: this.#sign(sid), setCookie: `${this.cookieName}=${sid}; ${attributes}` };
  }

  /** @throws SignalBoardError `'csrf_rejected'` */
  verify(req: BoardRequestHeaders): void {
    const site = header(req, 'sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      throw reject('the request came from another site');
    }
    const origin = header(req, 'origin');
    if (origin !== undefined) {
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined;
      }
      if (host === undefined || host !== header(req, 'host')) {
        throw reject('the request came from another origin');
      }
    }
    const sid = readCookie(req, this.cookieName);
    const token = header(req, BOARD_CSRF_HEADER);
    if (sid === undefined || !SID_RE.test(sid) || token === undefined) {
      throw reject('missing CSRF token or session cookie; reload the board');
    }
    const expected = Buffer.from(this.#sign(sid));
    const given = Buffer.from(token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw reject('invalid CSRF token; reload the board');
    }
  }

  #sign(sid: string): string {
    return createHmac('sha256', this.#secret).update(sid).digest('base64url');
  }
}

function reject(reason: string): SignalBoardError {
  return new SignalBoardError('csrf_rejected', `Action refused: ${reason}`);
}
