import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { isJidoSignalError, type JidoSignalErrorCode } from '../core/errors/jido-signal.error.js';
import { BOARD_HEADERS } from './board-headers.interceptor.js';
import { scrubText } from './board-scrub.js';

const STATUS: Partial<Record<JidoSignalErrorCode, number>> = {
  invalid_option: 400,
  invalid_pattern: 400,
  subscription_not_persistent: 400,
  bus_not_found: 404,
  subscription_not_found: 404,
  not_found: 404,
  csrf_rejected: 403,
  read_only: 403,
  queue_full: 503,
  closed: 503,
};

/**
 * Answers board errors as JSON `{ statusCode, code, message }`: library errors by code
 * (bad input 400, unknown bus/subscription/signal 404, CSRF and read-only 403, too many
 * streams or a closed bus 503), Nest HTTP exceptions (a guard's 401/403) as they are, and
 * anything else as a 500 that does not repeat the error's message.
 * @internal
 */
@Catch()
export class SignalBoardExceptionFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response: unknown = host.switchToHttp().getResponse();
    let status = 500;
    let body: Record<string, unknown> = {
      statusCode: 500,
      code: 'internal_error',
      message: 'Internal error',
    };
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      const res = exception.getResponse();
      body = {
        statusCode: status,
        code: status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : 'http_error',
        message: typeof res === 'string' ? res : exception.message,
      };
    } else if (isJidoSignalError(exception)) {
      status = STATUS[exception.code] ?? 500;
      body = { statusCode: status, code: exception.code, message: scrubText(exception.message) };
    }
    // Guards run before the board's interceptor: a refusal gets its headers here.
    const http = this.adapterHost.httpAdapter;
    for (const [name, value] of BOARD_HEADERS) http.setHeader(response, name, value);
    http.reply(response, body, status);
  }
}
