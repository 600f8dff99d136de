/**
 * JetStream API error codes the library reacts to, and the test for them. The codes are the
 * server's `err_code` values (nats-server `server/errors.json`).
 * @module
 */
import type { JetStreamApiError } from '@nats-io/jetstream';
import type { NatsLink } from './connection.js';

/** JetStream API error codes (`err_code`). @internal */
export const JsApiCode = {
  /** A consumer with that name already exists (with another configuration). */
  ConsumerNameExists: 10013,
  /** No consumer of that name on the stream. */
  ConsumerNotFound: 10014,
  /** No message at that sequence or subject (removed, never stored). */
  NoMessageFound: 10037,
  /** Deleting a message failed (it is gone already). */
  MessageDeleteFailed: 10057,
  /** A stream of that name already exists (with another configuration). */
  StreamNameInUse: 10058,
  /** No stream of that name. */
  StreamNotFound: 10059,
  /** `Nats-Expected-Last-Subject-Sequence` did not match the subject's last sequence. */
  WrongLastSequence: 10071,
  /** The consumer already exists (creating it raced with another instance). */
  ConsumerExists: 10148,
} as const;

/**
 * Whether `error` is a JetStream API error (with `code`, when given). Checked against the
 * `@nats-io/jetstream` module the link loaded.
 * @internal
 */
export function isApiError(
  link: NatsLink,
  error: unknown,
  code?: number,
): error is JetStreamApiError {
  return (
    error instanceof link.module.JetStreamApiError &&
    (code === undefined || (error as { code: number }).code === code)
  );
}
