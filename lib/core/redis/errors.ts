/**
 * What the Redis store, journal and pub/sub need to describe and classify `ioredis` failures:
 * secret-free messages, lost connections, errors worth a retry. Each client maps them to its
 * own error classes.
 * @module
 */

/** Remove credentials from a server URL so it can appear in messages. */
export function redactUrl(url: string): string {
  const at = url.lastIndexOf('@');
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? '';
  const rest = at < 0 ? url.slice(scheme.length) : url.slice(at + 1);
  // Query strings may carry tokens (`?password=`): drop them.
  const q = rest.indexOf('?');
  return scheme + (q < 0 ? rest : rest.slice(0, q));
}

/** Whether `error` is a lost or refused connection (the command was not, or may not have been, run). */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return /Connection is closed|isn't writeable|ECONNRESET|ECONNREFUSED|EPIPE|MaxRetriesPerRequest/i.test(
    `${error.name} ${error.message}`,
  );
}

/** Errors worth a retry: timeouts and connection losses. */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return /timed out|Connection is closed|isn't writeable|ECONNRESET|EPIPE|LOADING|TRYAGAIN|MaxRetriesPerRequest/i.test(
    `${error.name} ${error.message}`,
  );
}

/** A secret-free description of a client error (credentials in URLs are cut out). */
export function describeCause(cause: unknown): Error {
  if (cause instanceof Error) {
    const error = new Error(
      cause.message.replace(/([a-z][a-z0-9+.-]*:\/\/)?\S*@/gi, '$1').replace(/\?\S*/g, ''),
    );
    error.name = cause.name;
    return error;
  }
  return new Error(String(cause));
}
