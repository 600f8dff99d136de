import { Injectable } from '@nestjs/common';
import { formatTrace, SignalJournal, type TraceStep } from '../lib/index.js';

/** One signal of a causality trace, with the signals its handlers published. */
export interface TraceNode {
  id: string;
  type: string;
  source: string;
  subject?: string;
  time?: string;
  /** `'origin'` for the signal asked about, `'cause'` above it, `'effect'` below it. */
  relation: TraceStep['relation'];
  causationid?: string;
  correlationid?: string;
  data: unknown;
  effects: TraceNode[];
}

/** The JSON answer of the trace endpoints: the tree and `formatTrace`'s rendering of it. */
export interface TraceView {
  root: TraceNode;
  text: string[];
}

/**
 * Turns `journal.traceChain(id, { direction })` steps into a tree rooted at the oldest cause:
 * causes form a single path down to the origin, effects hang under their `causeId`.
 */
export function traceTree(steps: readonly TraceStep[]): TraceView {
  const nodes = new Map<string, TraceNode>();
  for (const step of steps) {
    const s = step.signal;
    const ext = s.extensions as { causationid?: string; correlationid?: string };
    nodes.set(step.id, {
      id: s.id,
      type: s.type,
      source: s.source,
      ...(s.subject === undefined ? {} : { subject: s.subject }),
      ...(s.time === undefined ? {} : { time: s.time }),
      relation: step.relation,
      ...(ext.causationid === undefined ? {} : { causationid: ext.causationid }),
      ...(ext.correlationid === undefined ? {} : { correlationid: ext.correlationid }),
      data: s.data,
      effects: [],
    });
  }
  const origin = steps.find((s) => s.relation === 'origin')!;
  // Causes, root first; each is the parent of the next, the last one the origin's parent.
  const path = [
    ...steps.filter((s) => s.relation === 'cause').sort((a, b) => b.depth - a.depth),
    origin,
  ].map((s) => nodes.get(s.id)!);
  for (let i = 1; i < path.length; i++) path[i - 1].effects.push(path[i]);
  // Effects come in pre-order (a cause before its effects), siblings oldest first.
  for (const step of steps) {
    if (step.relation === 'effect') nodes.get(step.causeId!)?.effects.push(nodes.get(step.id)!);
  }
  return { root: path[0], text: formatTrace(steps).split('\n') };
}

/** Answers the trace endpoints from the bus's causality journal. */
@Injectable()
export class TraceService {
  constructor(private readonly journal: SignalJournal) {}

  /**
   * The trace of one signal: `'effects'` (default) — it and everything it caused;
   * `'both'` — also its causes up to the root.
   * @throws SignalNotFoundError (`not_found`, 404) for an id the journal never recorded
   */
  async trace(signalId: string, direction: 'effects' | 'both' = 'effects'): Promise<TraceView> {
    return traceTree(await this.journal.traceChain(signalId, { direction }));
  }
}
