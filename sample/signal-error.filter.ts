import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { JidoSignalError, ValidationError } from '../lib/index.js';

/** The part of the HTTP response the filter uses (no `express` types needed). */
interface JsonResponse {
  status(code: number): { json(body: unknown): void };
}

const NOT_FOUND = new Set(['not_found', 'subscription_not_found']);

/**
 * Maps library errors to HTTP answers: validation → 400 with every issue, an unknown signal
 * or subscription → 404, anything else → 500. Applied per controller (`@UseFilters`), so the
 * signal handlers keep Nest's direct-call fast path.
 */
@Catch(JidoSignalError)
export class SignalErrorFilter implements ExceptionFilter {
  catch(error: JidoSignalError, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<JsonResponse>();
    const status = error instanceof ValidationError ? 400 : NOT_FOUND.has(error.code) ? 404 : 500;
    res.status(status).json({
      code: error.code,
      message: error.message,
      ...(error instanceof ValidationError ? { issues: error.issues } : {}),
    });
  }
}
