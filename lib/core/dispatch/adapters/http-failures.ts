// How the `http` and `webhook` adapters classify failures: which errors count against a
// circuit, and the typed errors for a cancelled delivery and a transport (connection) failure.
import { DispatchError } from '../../errors/dispatch.error.js';
import { JidoSignalError, isJidoSignalError } from '../../errors/jido-signal.error.js';

// TLS verification failures: retrying cannot help.
const TLS_ERROR_RE =
  /^(CERT_|ERR_TLS_|ERR_SSL_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

/** Whether an error should count against a circuit: the target is down, slow or overloaded. */
export function isHttpCircuitFailure(error: unknown): boolean {
  if (!isJidoSignalError(error)) return false;
  switch (error.code) {
    case 'timeout':
    case 'connection_error':
      return true;
    case 'status_error':
      return error.retryable;
    default:
      return false;
  }
}

/** The first string `code` on the error or its causes (3 deep), e.g. `ECONNREFUSED`. @internal */
export function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 3 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The error of a delivery cancelled with `reason` (kept when it is a library error). @internal */
export function cancelledError(adapter: string, reason: unknown, target: string): JidoSignalError {
  if (reason instanceof JidoSignalError) return reason;
  return new DispatchError('cancelled', adapter, `${adapter} delivery to ${target} was cancelled`, {
    details: { target },
    cause: reason,
  });
}

/** A thrown transport failure as a typed `connection_error` (not retryable for TLS failures). @internal */
export function transportError(
  adapter: string,
  error: unknown,
  target: string,
  attempt: number,
): DispatchError {
  const code = errorCode(error);
  if (code === 'UND_ERR_INVALID_ARG') {
    return new DispatchError(
      'dispatch_error',
      adapter,
      `${adapter} request to ${target} was rejected by the HTTP client`,
      {
        details: { target, attempt, errno: code },
        cause: error,
      },
    );
  }
  const tls = code !== undefined && TLS_ERROR_RE.test(code);
  return new DispatchError(
    'connection_error',
    adapter,
    `${adapter} could not reach ${target} (${code ?? 'connection failed'})`,
    {
      details: { target, attempt, ...(code === undefined ? {} : { errno: code }) },
      cause: error,
      retryable: !tls,
    },
  );
}
