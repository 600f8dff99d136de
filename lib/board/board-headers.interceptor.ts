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
 * Security headers on every board response: the CSP, no caching (the data is live and may
 * be sensitive), no MIME sniffing, no framing, no referrer.
 * @internal
 */
@Injectable()
export class SignalBoardHeadersInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const res = context.switchToHttp().getResponse<BoardResponse>();
    res.header('Content-Security-Policy', BOARD_CSP);
    res.header('Cache-Control', 'no-store');
    res.header('X-Content-Type-Options', 'nosniff');
    res.header('X-Frame-Options', 'DENY');
    res.header('Referrer-Policy', 'no-referrer');
    res.header('Cross-Origin-Resource-Policy', 'same-origin');
    return next.handle();
  }
}
