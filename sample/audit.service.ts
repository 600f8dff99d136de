import { Injectable, Logger } from '@nestjs/common';
import { OnSignal, type Signal } from '../lib/index.js';

export interface AuditEntry {
  type: string;
  id: string;
  source: string;
  subject?: string;
  /** The signal whose handler published this one (automatic causality). */
  causationid?: string;
}

/** Audit: `**` matches every type; priority −10 runs it after the other handlers. */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');
  private readonly entries: AuditEntry[] = [];

  @OnSignal('**', { priority: -10 })
  record(signal: Signal): void {
    const cause = signal.extensions.causationid as string | undefined;
    this.entries.push({
      type: signal.type,
      id: signal.id,
      source: signal.source,
      ...(signal.subject === undefined ? {} : { subject: signal.subject }),
      ...(cause === undefined ? {} : { causationid: cause }),
    });
    if (this.entries.length > 1000) this.entries.shift();
    this.logger.log(`${signal.type} ${signal.id}${cause === undefined ? '' : ` ← ${cause}`}`);
  }

  /** The newest `limit` entries, oldest first. */
  recent(limit = 50): AuditEntry[] {
    return this.entries.slice(-limit);
  }
}
