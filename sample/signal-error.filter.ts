import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { JidoSignalError, ValidationError } from '../lib/index.js';

/** Maps library errors to HTTP answers: validation → 400 with every issue, others → 500. */
interface JsonResponse {
  status(code: number): { json(body: unknown): void };
}

@Catch(JidoSignalError)
export class SignalErrorFilter implements ExceptionFilter {
  catch(error: JidoSignalError, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<JsonResponse>();
    const status = error instanceof ValidationError ? 400 : 500;
    res.status(status).json({
      code: error.code,
      message: error.message,
      issues: error instanceof ValidationError ? error.issues : undefined,
    });
  }
}
