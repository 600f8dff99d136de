/**
 * The JSON form of one journal record (format version 1), as the JetStream and Redis
 * journals store it.
 * @module
 * @internal
 */

/** The JSON form of one journal record (format version 1). */
export interface WireRecord {
  readonly v: 1;
  readonly id: string;
  readonly time: number;
  readonly recordedAt: number;
  readonly causeId?: string;
  readonly conversationId: string;
  readonly signal: unknown;
}
