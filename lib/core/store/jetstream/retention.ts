import type { ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';

/** Where retention may cut a log stream without losing what a durable consumer still owes. */
export interface RetentionFloor {
  /** Every entry at or below this stream sequence is acked by every durable consumer. */
  readonly floor: number;
  /** The durable consumer that holds the floor lowest, if any holds it below `lastSeq`. */
  readonly holder: string | undefined;
}

/**
 * The highest stream sequence at or below which every durable consumer of `stream` has
 * acknowledged every entry its filter matches. `lastSeq` must be read from the stream
 * **before** this call: then an entry at or below it that a consumer has not acked is either
 * pending delivery (`num_pending`) or awaiting its ack (`num_ack_pending`), and is kept.
 * Ephemeral (ordered) consumers — fan-out feeds — do not hold retention.
 * @internal
 */
export async function durableFloor(
  jsm: JetStreamManager,
  stream: string,
  lastSeq: number,
): Promise<RetentionFloor> {
  let floor = lastSeq;
  let holder: string | undefined;
  for await (const ci of jsm.consumers.list(stream)) {
    if (!ci.config.durable_name) continue;
    const f = consumerFloor(ci, lastSeq);
    if (f < floor) {
      floor = f;
      holder = ci.name;
    }
  }
  return { floor, holder };
}

/** See {@link durableFloor}, for one consumer. @internal */
export function consumerFloor(ci: ConsumerInfo, lastSeq: number): number {
  // Delivered entries awaiting an ack (or a redelivery): nothing past the ack floor is safe.
  if (ci.num_ack_pending > 0) return ci.ack_floor.stream_seq;
  // Nothing outstanding and nothing left to deliver: everything it matches up to lastSeq
  // was delivered and acked.
  if (ci.num_pending === 0) return lastSeq;
  // Everything delivered so far is acked; later entries are still to be delivered.
  return Math.max(ci.ack_floor.stream_seq, ci.delivered.stream_seq);
}
