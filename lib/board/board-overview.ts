import type { SignalBus } from '../core/bus/signal-bus.js';
import type { SignalBoardBus, SignalBoardHealth, SignalBoardSubscription } from './board-types.js';

const TIMEOUT_MS = 1000;

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function down(bus: SignalBus, problem: string, traces: boolean): SignalBoardBus {
  return {
    name: bus.name,
    closed: bus.closed,
    health: { status: 'down', problems: [problem] },
    logSize: null,
    published: null,
    pendingPublishes: null,
    dlqSize: null,
    traces,
    subscriptions: [],
    partitions: [],
  };
}

/**
 * Counters, subscriptions (with DLQ depth), partitions and health of one bus: `down` when
 * closed or its store does not answer within 1 s, `degraded` with DLQ entries or open
 * circuits, else `up`.
 * @internal
 */
export async function describeBus(
  bus: SignalBus,
  openCircuits: number,
  traces: boolean,
): Promise<SignalBoardBus> {
  if (bus.closed) return down(bus, 'bus closed', traces);
  try {
    await withTimeout(bus.store.ping());
    const stats = await withTimeout(bus.stats());
    const subscriptions: SignalBoardSubscription[] = await Promise.all(
      stats.subscriptions.map(async (s) => ({
        ...s,
        dlqSize: s.persistent ? await withTimeout(bus.dlq.size(s.id)) : 0,
      })),
    );
    const dlqSize = await withTimeout(bus.dlq.size());
    const problems: string[] = [];
    if (dlqSize > 0) problems.push(`${dlqSize} signal(s) dead-lettered`);
    if (openCircuits > 0) problems.push(`${openCircuits} circuit(s) open`);
    const health: SignalBoardHealth = {
      status: problems.length > 0 ? 'degraded' : 'up',
      problems,
    };
    return {
      name: bus.name,
      closed: false,
      health,
      logSize: stats.logSize,
      published: stats.published,
      pendingPublishes: stats.pendingPublishes,
      dlqSize,
      traces,
      subscriptions,
      partitions: stats.partitions.map((p) => ({
        ...p,
        tokens: Number.isFinite(p.tokens) ? p.tokens : null,
      })),
    };
  } catch {
    return down(bus, 'store unreachable', traces);
  }
}
