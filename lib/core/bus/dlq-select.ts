import type { DlqEntry } from '../store/signal-store.interface.js';

/**
 * The entries of `listed` whose id is in `ids`, oldest first, at most `limit` of them: what
 * `bus.dlq.redrive(subscriptionId, { ids })` sends back.
 * @internal
 */
export function selectDlqEntries(
  listed: readonly DlqEntry[],
  ids: ReadonlySet<string>,
  limit: number | undefined,
): DlqEntry[] {
  const out: DlqEntry[] = [];
  for (const entry of listed) {
    if (limit !== undefined && out.length >= limit) break;
    if (ids.has(entry.id)) out.push(entry);
  }
  return out;
}
