import { Observable, type Subscription } from 'rxjs';
import type { SignalBus } from '../core/bus/signal-bus.js';
import type { Signal } from '../core/signal/signal.js';
import { scrub } from './board-scrub.js';
import type { SignalView, SignalViewer } from './board-view.js';

/** Bytes waiting in a page's socket above which batches are held back. */
const MAX_BACKLOG_BYTES = 256 * 1024;

/** One Server-Sent Event of the live stream: the signals kept since the previous one. */
export interface SignalBoardBatch {
  /** The newest signals of the interval (at most `maxSignalsPerFlush`), oldest first. */
  readonly signals: readonly SignalView[];
  /** Signals that matched in the interval, those not sent included. */
  readonly matched: number;
  /** Signals of the interval not sent (coalesced away). */
  readonly dropped: number;
}

/** What Nest's `@Sse()` sends: one `event: batch` message per flush. @internal */
export interface BoardMessageEvent {
  readonly type: string;
  readonly data: SignalBoardBatch | { readonly at: number };
}

/**
 * The live stream of one page: a `bus.stream(pattern)` subscription whose signals are
 * coalesced server-side — a ring of the newest `max` signals and a counter — and sent every
 * `intervalMs` as one batch. Memory per page is bounded by `max` signals whatever the
 * publish rate, and the page receives at most `max` signals per interval; masking and
 * sanitizing run only for the signals sent. While more than 256 KiB wait in the page's
 * socket (`backlog`), batches are held back, so a page that stops reading cannot make the
 * server buffer without bound. A heartbeat keeps idle connections open.
 * @internal
 */
export function sampledStream(
  bus: SignalBus,
  pattern: string,
  viewer: SignalViewer,
  intervalMs: number,
  max: number,
  backlog: () => number = () => 0,
): Observable<BoardMessageEvent> {
  return new Observable<BoardMessageEvent>((subscriber) => {
    const ring: (Signal | undefined)[] = new Array<Signal | undefined>(max);
    let next = 0;
    let kept = 0;
    let matched = 0;
    let idleFlushes = 0;
    const source: Subscription = bus.stream(pattern).subscribe({
      next: (signal) => {
        matched++;
        ring[next] = signal;
        next = (next + 1) % max;
        if (kept < max) kept++;
      },
      complete: () => subscriber.complete(),
      error: (error: unknown) => subscriber.error(error),
    });
    const timer = setInterval(() => {
      if (matched === 0) {
        // A comment-like heartbeat every ~15 s so proxies keep the connection.
        if (++idleFlushes * intervalMs >= 15_000) {
          idleFlushes = 0;
          subscriber.next({ type: 'heartbeat', data: { at: Date.now() } });
        }
        return;
      }
      idleFlushes = 0;
      // A page that does not read (stalled tab, slow link): hold the batch back instead of
      // queueing more bytes in the socket; the ring keeps the newest, the counters go on.
      if (backlog() > MAX_BACKLOG_BYTES) return;
      const signals: SignalView[] = [];
      const start = (next - kept + max) % max;
      for (let i = 0; i < kept; i++) {
        const index = (start + i) % max;
        signals.push(viewer.view(ring[index]!));
        ring[index] = undefined;
      }
      const batch: SignalBoardBatch = scrub({ signals, matched, dropped: matched - kept });
      kept = 0;
      next = 0;
      matched = 0;
      subscriber.next({ type: 'batch', data: batch });
    }, intervalMs);
    timer.unref?.();
    return () => {
      clearInterval(timer);
      source.unsubscribe();
    };
  });
}
