import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Observable } from 'rxjs';

/** The part of an Express response / Fastify reply the board uses. @internal */
export interface BoardResponse {
  header(name: string, value: string): unknown;
}

/**
 * The page's Content-Security-Policy: nothing but its own scripts, styles and API, no
 * inline code, no frames, no external network.
 */
export const BOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The security headers of every board response: the CSP, no caching (the data is live and
 * may be sensitive), no MIME sniffing, no framing, no referrer. Set by
 * {@link SignalBoardHeadersInterceptor}, and by the board's exception filter for answers an
 * interceptor never sees (a guard's refusal).
 * @internal
 */
export const BOARD_HEADERS: readonly (readonly [string, string])[] = [
  ['Content-Security-Policy', BOARD_CSP],
  ['Cache-Control', 'no-store'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
];

/**
 * Sets {@link BOARD_HEADERS} on every board response.
 * @internal
 */
@Injectable()
export class SignalBoardHeadersInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const res = context.switchToHttp().getResponse<BoardResponse>();
    for (const [name, value] of BOARD_HEADERS) res.header(name, value);
    return next.handle();
  }
}
