import { Inject, Injectable, Optional } from '@nestjs/common';
import { Observable } from 'rxjs';
import { SignalBusRegistry } from '../core/bus/bus-registry.js';
import type { RedriveResult } from '../core/bus/persistent/engine.js';
import type { SignalBus } from '../core/bus/signal-bus.js';
import { ValidationError } from '../core/errors/validation.error.js';
import { validatePattern } from '../core/router/pattern.js';
import { SignalBoardError } from './board.error.js';
import type { SignalBoardConfig } from './board-config.js';
import { describeBus } from './board-overview.js';
import { scrub } from './board-scrub.js';
import { sampledStream, type BoardMessageEvent } from './board-stream.js';
import { buildTrace } from './board-trace.js';
import type {
  SignalBoardBus,
  SignalBoardDlqEntry,
  SignalBoardOverview,
  SignalBoardTrace,
} from './board-types.js';
import { SignalViewer, type SignalView } from './board-view.js';
import { SIGNAL_BOARD_CONFIG } from './board.tokens.js';
import { dateTimeMillis } from '../core/signal/attributes.js';

/** Query of `GET <path>/api/buses/:bus/replay` (strings as they come from the URL). */
export interface SignalBoardReplayQuery {
  readonly pattern?: string;
  readonly since?: string;
  readonly until?: string;
  readonly limit?: string;
}

const MAX_ID_LENGTH = 512;

function requireId(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_ID_LENGTH) {
    throw new ValidationError('invalid_option', field, `"${field}" must be a non-empty string`);
  }
  return value;
}

function parseTime(field: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  // Digits are ms; anything else must be an ISO 8601 date or date-time (not any text
  // `Date.parse` happens to read, such as `-1` or `March 7`).
  const ms = /^\d+$/.test(value)
    ? Number(value)
    : /^\d{4}-\d{2}-\d{2}(?:$|[Tt ])/.test(value)
      ? dateTimeMillis(value)
      : NaN;
  if (!Number.isFinite(ms)) {
    throw new ValidationError(
      'invalid_option',
      field,
      `"${field}" must be ms since the epoch or an ISO 8601 time`,
    );
  }
  return ms;
}

/**
 * What the board's routes do, on the bus API only (`stats`, `subscriptions`, `dlq`,
 * `stream`, `replay`, the journal), so it works on every store. Everything it returns has
 * passed the data mask and the secret scrubber.
 * @internal
 */
@Injectable()
export class SignalBoardService {
  readonly viewer: SignalViewer;
  #streams = 0;

  constructor(
    @Inject(SIGNAL_BOARD_CONFIG) readonly config: SignalBoardConfig,
    @Optional() private readonly registry?: SignalBusRegistry,
  ) {
    this.viewer = new SignalViewer(config.maskData);
  }

  /** Buses shown on the board, in registry order. */
  buses(): SignalBus[] {
    const all = this.registry?.list() ?? [];
    const names = this.config.buses;
    return names === undefined ? all : all.filter((bus) => names.includes(bus.name));
  }

  /** One shown bus by name. @throws SignalBoardError `'bus_not_found'` */
  bus(name: string): SignalBus {
    const bus = this.buses().find((b) => b.name === name);
    if (bus === undefined) {
      throw new SignalBoardError('bus_not_found', `No bus "${name}" on this board`, { bus: name });
    }
    return bus;
  }

  async overview(): Promise<SignalBoardOverview> {
    const circuits = this.config.circuitBreakers.flatMap((breaker) => breaker.states());
    const open = circuits.filter((c) => c.state === 'open').length;
    const buses: SignalBoardBus[] = await Promise.all(
      this.buses().map((bus) =>
        describeBus(bus, open, (bus.journal ?? this.config.journal) !== undefined),
      ),
    );
    return scrub({ readOnly: this.config.readOnly, buses, circuits, at: Date.now() });
  }

  async dlq(busName: string, subscriptionId: string): Promise<SignalBoardDlqEntry[]> {
    const bus = this.bus(busName);
    const entries = await bus.dlq.list(requireId('subscriptionId', subscriptionId), {
      limit: 500,
    });
    return scrub(
      entries.map((e) => ({
        id: e.id,
        subscriptionId: e.subscriptionId,
        logId: e.logId,
        attempts: e.attempts,
        lastError: { code: e.lastError.code, message: e.lastError.message },
        firstAttemptAt: e.firstAttemptAt,
        lastAttemptAt: e.lastAttemptAt,
        insertedAt: e.insertedAt,
        signal: this.viewer.view(e.signal),
      })),
    );
  }

  /** @param ids - entries to redrive; `undefined` for all */
  async redrive(
    busName: string,
    subscriptionId: string,
    ids: readonly string[] | undefined,
  ): Promise<RedriveResult> {
    this.#writable();
    const bus = this.bus(busName);
    const result = await bus.dlq.redrive(
      requireId('subscriptionId', subscriptionId),
      ids === undefined ? {} : { ids: checkIds(ids) },
    );
    return { redriven: result.redriven, failed: result.failed };
  }

  /** @param ids - entries to delete; `undefined` for all */
  async delete(
    busName: string,
    subscriptionId: string,
    ids: readonly string[] | undefined,
  ): Promise<{ deleted: number }> {
    this.#writable();
    const bus = this.bus(busName);
    const id = requireId('subscriptionId', subscriptionId);
    const deleted =
      ids === undefined ? await bus.dlq.clear(id) : await bus.dlq.delete(id, checkIds(ids));
    return { deleted };
  }

  async trace(busName: string, signalId: string): Promise<SignalBoardTrace> {
    const bus = this.bus(busName);
    const journal = bus.journal ?? this.config.journal;
    if (journal === undefined) {
      throw new SignalBoardError(
        'not_found',
        `Bus "${busName}" has no journal: causality traces need one (bus option "journal" or the board's "journal")`,
        { bus: busName },
      );
    }
    return scrub(await buildTrace(journal, requireId('signalId', signalId), this.viewer));
  }

  async replay(busName: string, query: SignalBoardReplayQuery): Promise<SignalView[]> {
    const bus = this.bus(busName);
    const pattern = query.pattern === undefined || query.pattern === '' ? '**' : query.pattern;
    validatePattern(pattern);
    const since = parseTime('since', query.since);
    const until = parseTime('until', query.until);
    let limit = this.config.maxReplay;
    if (query.limit !== undefined && query.limit !== '') {
      limit = Number(query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > this.config.maxReplay) {
        throw new ValidationError(
          'invalid_option',
          'limit',
          `"limit" must be an integer from 1 to ${this.config.maxReplay}`,
        );
      }
    }
    // Read-only: `replay` reads the log; nothing is published or redelivered.
    const entries = await bus.replay(pattern, { since, until, limit });
    return scrub(entries.map((e) => this.viewer.view(e.signal, e.recordedAt)));
  }

  /**
   * The sampled live stream of a bus for one page.
   * @throws SignalBoardError `'queue_full'` when `maxStreams` pages stream already
   */
  /**
   * @param backlog - bytes waiting in the page's socket (batches are held back above 256 KiB)
   */
  stream(
    busName: string,
    pattern: string | undefined,
    backlog?: () => number,
  ): Observable<BoardMessageEvent> {
    const bus = this.bus(busName);
    const p = pattern === undefined || pattern === '' ? '**' : pattern;
    validatePattern(p);
    if (this.#streams >= this.config.maxStreams) {
      throw new SignalBoardError(
        'queue_full',
        `Too many live streams open (maxStreams ${this.config.maxStreams})`,
        { maxStreams: this.config.maxStreams },
      );
    }
    const sampled = sampledStream(
      bus,
      p,
      this.viewer,
      this.config.flushIntervalMs,
      this.config.maxSignalsPerFlush,
      backlog,
    );
    return new Observable<BoardMessageEvent>((subscriber) => {
      this.#streams++;
      const inner = sampled.subscribe(subscriber);
      return () => {
        inner.unsubscribe();
        this.#streams--;
      };
    });
  }

  /** Live streams open now. */
  get openStreams(): number {
    return this.#streams;
  }

  #writable(): void {
    if (this.config.readOnly) {
      throw new SignalBoardError('read_only', 'This signal board is read-only');
    }
  }
}

function checkIds(ids: unknown): string[] {
  if (
    !Array.isArray(ids) ||
    ids.length === 0 ||
    ids.length > 1000 ||
    ids.some((id) => typeof id !== 'string' || id === '' || id.length > MAX_ID_LENGTH)
  ) {
    throw new ValidationError(
      'invalid_option',
      'ids',
      '"ids" must be a non-empty array of DLQ entry ids',
    );
  }
  return ids as string[];
}
