import type { SignalJournal } from '../core/journal/signal-journal.js';
import type { SignalBoardTrace, SignalBoardTraceNode } from './board-types.js';
import type { SignalViewer } from './board-view.js';

/** Most nodes of one trace tree. */
const MAX_NODES = 300;

/**
 * The causality tree holding `signalId`: walk its causes up to the root, then every
 * effect of the root (breadth first, at most 300 nodes).
 * @throws SignalNotFoundError (code `'not_found'`) for a signal the journal does not hold
 * @internal
 */
export async function buildTrace(
  journal: SignalJournal,
  signalId: string,
  viewer: SignalViewer,
): Promise<SignalBoardTrace> {
  const causes = await journal.traceChain(signalId, { direction: 'causes' });
  let root = signalId;
  let deepest = 0;
  for (const step of causes) {
    if (step.relation === 'cause' && step.depth > deepest) {
      deepest = step.depth;
      root = step.id;
    }
  }
  const steps = await journal.traceChain(root, { direction: 'effects', limit: MAX_NODES + 1 });
  const truncated = steps.length > MAX_NODES;
  const nodes: SignalBoardTraceNode[] = steps
    .slice(0, MAX_NODES)
    .sort((a, b) => a.depth - b.depth)
    .map((step) => ({
      id: step.id,
      causeId: step.relation === 'origin' ? undefined : step.causeId,
      time: step.time,
      signal: viewer.view(step.signal),
    }));
  return { focus: signalId, root, nodes, truncated };
}
