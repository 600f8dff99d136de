/**
 * Following a JetStream stream in order, without gaps or repeats across server restarts and
 * consumer losses: the live feed of the store's `tail` and the journal's index.
 * @module
 */
import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { NatsLink } from './connection.js';

/** A running {@link followStream}. */
export interface StreamFollower {
  /** Stop consuming and delete the consumer (when connected). */
  stop(): Promise<void>;
}

/** Hooks of {@link followStream} beyond the messages. */
export interface FollowHooks {
  /** A (re)start of the consumer failed; retried every second. */
  readonly onRestartError: (error: unknown) => void;
  /** The feed stopped hearing from its server (missed heartbeats); it is being recreated. */
  readonly onStall?: () => void;
  /** The feed runs again after {@link FollowHooks.onStall}. */
  readonly onResume?: () => void;
}

/**
 * Feed every message of `stream` (matching `filter`) from sequence `startSeq` on, in stream
 * order, through an ordered consumer — without gaps or repeats across server restarts.
 * After a reset @nats-io/jetstream 3.4 recreates its ordered consumer but then stalls after
 * one message, so the follower replaces the whole consumer itself, from the last sequence
 * it fed. The server sends an idle heartbeat every `heartbeat` ms (default 1 s): a feed that
 * misses two (the server holding its consumer died, while the connection stays up on another
 * server) is replaced the same way, within a few seconds instead of the pull expiry.
 * `onRestartError` (or `hooks.onRestartError`) hears failed restarts (retried 100 ms to 1 s apart).
 */
export async function followStream(
  link: NatsLink,
  stream: string,
  options: { readonly filter?: string; readonly startSeq: number; readonly heartbeat?: number },
  onMessage: (message: JsMsg) => void,
  onRestartError: ((error: unknown) => void) | FollowHooks,
): Promise<StreamFollower> {
  const hooks: FollowHooks =
    typeof onRestartError === 'function' ? { onRestartError } : onRestartError;
  const heartbeat = Math.max(500, options.heartbeat ?? 1_000);
  let lastSeq = options.startSeq - 1;
  let stopped = false;
  let stalled = false;
  let messages: ConsumerMessages | undefined;
  let remove: () => Promise<unknown> = () => Promise.resolve();
  const feed = (m: JsMsg): void => {
    if (m.seq <= lastSeq) return; // fed before a restart
    lastSeq = m.seq;
    onMessage(m);
  };
  const stopMessages = async (current: ConsumerMessages): Promise<void> => {
    current.stop();
    await current.closed().catch(() => undefined);
  };
  // Restarts ask with a short timeout: the server may place the new consumer on a peer it
  // has not noticed is dead yet, and the next attempt lands elsewhere.
  let restartJs: JetStreamClient | undefined;
  let restarts = 0;
  const open = async (): Promise<void> => {
    const js =
      restarts === 0
        ? link.js
        : (restartJs ??= link.module.jetstream(link.nc, {
            timeout: Math.min(link.requestTimeout, Math.max(1_000, heartbeat * 2)),
          }));
    const consumer = await js.consumers.get(stream, {
      ...(options.filter === undefined ? {} : { filter_subjects: options.filter }),
      opt_start_seq: lastSeq + 1,
    });
    const current = await consumer.consume({
      max_messages: 1_000,
      expires: Math.max(1_000, heartbeat * 2),
      idle_heartbeat: heartbeat,
      callback: feed,
    });
    if (stopped) {
      // stop() ran while this (re)start was under way.
      await stopMessages(current);
      await consumer.delete().catch(() => undefined);
      return;
    }
    messages = current;
    remove = () => consumer.delete();
    if (stalled) {
      stalled = false;
      hooks.onResume?.();
    }
    void (async () => {
      for await (const status of current.status()) {
        if (stopped) return;
        const dead = status.type === 'heartbeats_missed';
        if (status.type !== 'ordered_consumer_recreated' && !dead) continue;
        if (dead && !stalled) {
          stalled = true;
          hooks.onStall?.();
        }
        await stopMessages(current);
        // Its server may be gone: do not wait for the delete to time out.
        void consumer.delete().catch(() => undefined);
        for (let failures = 0; !stopped && messages === current; failures++) {
          restarts++;
          try {
            await open();
          } catch (error) {
            hooks.onRestartError(error);
            // 100 ms doubling to 1 s between attempts.
            const pause = Math.min(1_000, 100 * 2 ** failures);
            await new Promise((resolve) => setTimeout(resolve, pause).unref());
          }
        }
        return;
      }
    })();
  };
  await open();
  return {
    stop: async () => {
      stopped = true;
      if (stalled) {
        stalled = false;
        hooks.onResume?.();
      }
      if (messages !== undefined) await stopMessages(messages);
      if (link.connected) await remove().catch(() => undefined);
    },
  };
}
