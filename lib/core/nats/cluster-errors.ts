/**
 * Failures a JetStream cluster produces while it heals — a stream or meta leader election
 * after a server died, a reconnect to another server — that go away by themselves: retrying
 * the same request shortly later succeeds.
 *
 * - the client's publish/request timeouts (`TimeoutError`);
 * - "no responders" (nothing listens on the stream's subjects while it has no leader), which
 *   `@nats-io/jetstream` reports as `JetStreamNotEnabled` ("jetstream is not enabled");
 * - JetStream API errors with status 503 ("JetStream system temporarily unavailable", …)
 *   and 408, and messages that say a leader or quorum is missing.
 * @internal
 */
export function isTransientClusterError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const name = error.name;
  if (name === 'TimeoutError' || name === 'JetStreamNotEnabled' || name === 'NoRespondersError') {
    return true;
  }
  const status = (error as { status?: unknown }).status;
  if (status === 503 || status === 408) return true;
  return /no responders|not enabled|temporarily unavailable|no leader|not leader|leader(ship)? (change|transfer)|quorum|stream is offline|cluster not available|timeout/i.test(
    error.message,
  );
}
