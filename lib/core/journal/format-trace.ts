import type { JournalEntry } from './journal-adapter.interface.js';
import type { TraceStep } from './signal-journal.types.js';

/**
 * One line describing a journal entry: `type  id  time  source` (the record time, marked
 * `recorded`, for signals without `time`).
 */
export function formatEntry(entry: JournalEntry): string {
  const s = entry.signal;
  const time = s.time ?? `recorded ${new Date(entry.recordedAt).toISOString()}`;
  return `${s.type}  ${s.id}  ${time}  ${s.source}`;
}

/**
 * Render a {@link SignalJournal.traceChain} result as an indented tree, root cause first —
 * what jido's `trace_signal_flow` prints, for the whole chain. The starting signal is marked
 * with `*`.
 *
 * @example
 * console.log(formatTrace(await journal.traceChain(id, { direction: 'both' })));
 * // order.placed  0198…  2026-01-01T00:00:00.000Z  /shop
 * // └─ * payment.requested  0198…  2026-01-01T00:00:01.000Z  /pay
 * //    ├─ payment.authorized  0198…  2026-01-01T00:00:02.000Z  /pay
 * //    └─ payment.captured  0198…  2026-01-01T00:00:03.000Z  /pay
 */
export function formatTrace(steps: readonly TraceStep[]): string {
  const origin = steps.find((s) => s.relation === 'origin');
  if (origin === undefined) return '';
  const causes = steps.filter((s) => s.relation === 'cause').sort((a, b) => b.depth - a.depth);
  const effects = steps.filter((s) => s.relation === 'effect');
  const lines: string[] = [];
  // The ancestors form a single path: each one is the only child shown under the previous.
  causes.forEach((cause, i) => {
    lines.push(`${i === 0 ? '' : `${'   '.repeat(i - 1)}└─ `}${formatEntry(cause)}`);
  });
  const base = causes.length;
  const originPrefix = base === 0 ? '' : `${'   '.repeat(base - 1)}└─ `;
  lines.push(`${originPrefix}* ${formatEntry(origin)}`);

  // Effects come in pre-order; a node is the last child of its parent when no later step
  // shares its cause.
  const lastChild = new Set<string>();
  const seenCause = new Set<string>();
  for (let i = effects.length - 1; i >= 0; i--) {
    const causeId = effects[i].causeId ?? '';
    if (!seenCause.has(causeId)) {
      seenCause.add(causeId);
      lastChild.add(effects[i].id);
    }
  }
  // open[d] = whether the branch at effect depth d still has siblings below.
  const open: boolean[] = [];
  const indent = '   '.repeat(base);
  for (const step of effects) {
    const last = lastChild.has(step.id);
    let prefix = indent;
    for (let d = 1; d < step.depth; d++) prefix += open[d] === true ? '│  ' : '   ';
    prefix += last ? '└─ ' : '├─ ';
    open[step.depth] = !last;
    lines.push(prefix + formatEntry(step));
  }
  return lines.join('\n');
}
