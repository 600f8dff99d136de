// The query side of SignalJournal: causal traces, conversations and filtered time-range scans,
// read through the adapter once the records issued before the call are applied.
import { SignalNotFoundError } from '../errors/journal.error.js';
import { ValidationError } from '../errors/validation.error.js';
import { matches, validatePattern } from '../router/pattern.js';
import { dateTimeMillis } from '../signal/attributes.js';
import type { Signal } from '../signal/signal.js';
import { integerProblem } from '../util/integer.js';
import type { JournalAdapter, JournalEntry, JournalMeta } from './journal-adapter.interface.js';
import type { JournalQuery, JournalTime, TraceOptions, TraceStep } from './signal-journal.types.js';

const byTime = (a: JournalMeta, b: JournalMeta): number => a.time - b.time;

/** A query time bound in ms since the epoch. @throws ValidationError when it is not a time */
function toMillis(field: string, value: JournalTime | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'number'
        ? value
        : typeof value === 'string'
          ? dateTimeMillis(value)
          : NaN;
  if (!Number.isFinite(ms)) {
    throw new ValidationError(
      'invalid_attribute',
      field,
      `Journal query "${field}" must be a Date, ms since the epoch or an ISO 8601 string, got ${String(value)}`,
    );
  }
  return ms;
}

/** A count option: `undefined` or `Infinity` for no bound, else an integer ≥ 0 (≥ 1 unless `allowZero`). */
function countOption(field: string, value: number | undefined, allowZero: boolean): number {
  if (value === undefined || value === Infinity) return Infinity;
  const problem = integerProblem(value, allowZero ? 0 : 1, Number.MAX_SAFE_INTEGER);
  if (problem !== undefined) {
    throw new ValidationError('invalid_attribute', field, `${field} ${problem}`);
  }
  return value;
}

/**
 * The reads of {@link SignalJournal} that walk or scan many entries; see the public methods
 * there for what each returns.
 * @internal
 */
export class JournalQueries {
  /**
   * @param adapter where the entries are read
   * @param caughtUp resolves once every record issued so far is applied
   */
  constructor(
    private readonly adapter: JournalAdapter,
    private readonly caughtUp: () => Promise<void>,
  ) {}

  /** See {@link SignalJournal.traceChain}. */
  async traceChain(id: string, options: TraceOptions = {}): Promise<TraceStep[]> {
    const direction = options.direction ?? 'effects';
    if (direction !== 'causes' && direction !== 'effects' && direction !== 'both') {
      throw new ValidationError(
        'invalid_attribute',
        'direction',
        `direction must be 'causes', 'effects' or 'both', got ${String(direction)}`,
      );
    }
    const maxDepth = countOption('depth', options.depth, true);
    const limit = countOption('limit', options.limit, false);
    await this.caughtUp();
    const origin = await this.adapter.getSignal(id);
    if (origin === undefined) throw new SignalNotFoundError(id);
    const steps: TraceStep[] = [{ ...origin, relation: 'origin', depth: 0 }];
    const visited = new Set<string>([id]);
    if (direction !== 'effects') {
      let current: JournalEntry = origin;
      for (let depth = 1; depth <= maxDepth && steps.length < limit; depth++) {
        const causeId = current.causeId;
        if (causeId === undefined || visited.has(causeId)) break;
        const cause = await this.adapter.getSignal(causeId);
        if (cause === undefined) break;
        visited.add(causeId);
        steps.push({ ...cause, relation: 'cause', depth });
        current = cause;
      }
    }
    if (direction !== 'causes' && maxDepth > 0) {
      const stack: { entry: JournalEntry; depth: number }[] = [];
      const pushEffects = async (of: string, depth: number): Promise<void> => {
        const effects = await this.effectEntries(of);
        for (let i = effects.length - 1; i >= 0; i--) {
          const effect = effects[i];
          if (visited.has(effect.id)) continue;
          visited.add(effect.id);
          stack.push({ entry: effect, depth });
        }
      };
      await pushEffects(id, 1);
      while (stack.length > 0 && steps.length < limit) {
        const { entry, depth } = stack.pop()!;
        steps.push({ ...entry, relation: 'effect', depth });
        if (depth < maxDepth) await pushEffects(entry.id, depth + 1);
      }
    }
    return steps;
  }

  /** See {@link SignalJournal.conversation}. */
  async conversation(correlationId: string): Promise<Signal[]> {
    await this.caughtUp();
    const ids = await this.adapter.getConversation(correlationId);
    return (await this.entries(ids)).sort(byTime).map((e) => e.signal);
  }

  /** See {@link SignalJournal.query}. */
  async query(query: JournalQuery = {}): Promise<Signal[]> {
    const { type, source, subject } = query;
    if (type !== undefined) validatePattern(type);
    const since = toMillis('since', query.since);
    const until = toMillis('until', query.until);
    const limit = countOption('limit', query.limit, true);
    const order = query.order ?? 'asc';
    if (order !== 'asc' && order !== 'desc') {
      throw new ValidationError(
        'invalid_attribute',
        'order',
        `order must be 'asc' or 'desc', got ${String(order)}`,
      );
    }
    const out: Signal[] = [];
    if (limit === 0) return out;
    await this.caughtUp();
    for await (const entry of this.adapter.scan({ since, until, order })) {
      const s = entry.signal;
      if (type !== undefined && !matches(s.type, type)) continue;
      if (source !== undefined && s.source !== source) continue;
      if (subject !== undefined && s.subject !== subject) continue;
      out.push(s);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** The entries of the direct effects of `id`, oldest first (not waiting for records). */
  async effectEntries(id: string): Promise<JournalEntry[]> {
    return (await this.entries(await this.adapter.getEffects(id))).sort(byTime);
  }

  private async entries(ids: readonly string[]): Promise<JournalEntry[]> {
    const out: JournalEntry[] = [];
    for (const id of ids) {
      const entry = await this.adapter.getSignal(id);
      if (entry !== undefined) out.push(entry);
    }
    return out;
  }
}
