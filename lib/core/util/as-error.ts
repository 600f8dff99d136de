/**
 * The thrown value itself when it is an `Error`, otherwise an `Error` carrying its text
 * (for rejecting a promise with whatever a callback threw).
 * @internal
 */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
