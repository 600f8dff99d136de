import type { ExecutionContext } from '@nestjs/common';
import { JidoSignalBoardModule } from '../lib/board/index.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Only requests from this machine may use the board (the sample listens on 127.0.0.1). */
function localOnly(context: ExecutionContext): boolean {
  const req = context.switchToHttp().getRequest<{ socket?: { remoteAddress?: string } }>();
  return LOOPBACK.has(req.socket?.remoteAddress ?? '');
}

/**
 * The signal board at `/board`, for this machine only: watch orders flow, see the declined
 * payment land in the `payments` DLQ, redrive it by clicking, and follow an order's trace.
 * Card tokens are masked before they leave the server.
 */
export const SampleBoardModule = JidoSignalBoardModule.forRoot({
  path: 'board',
  canActivate: localOnly,
  maskData: (data) =>
    data !== null && typeof data === 'object' && 'card' in data ? { ...data, card: '••••' } : data,
});
