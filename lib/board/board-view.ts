import { Buffer } from 'node:buffer';
import { sanitize } from '../core/dispatch/sanitize.js';
import type { Signal } from '../core/signal/signal.js';
import type { SignalBoardMaskFunction } from './board-options.interface.js';

/** CloudEvents attributes shown as attributes; every other top-level key is an extension. */
const ATTRIBUTES = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'subject',
  'time',
  'datacontenttype',
  'dataschema',
]);

const LIMITS = { maxDepth: 8, maxItems: 100, maxStringLength: 2048 } as const;

/** A signal as the page sees it: masked, sanitized data and its encoded size. */
export interface SignalView {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly time: string | undefined;
  /** When the bus log recorded it (ms since the epoch), when known. */
  readonly recordedAt: number | undefined;
  /** Standard CloudEvents attributes (id, type, source, subject, time, …). */
  readonly attributes: Readonly<Record<string, unknown>>;
  /** Extension attributes (causationid, correlationid, traceparent, …), sanitized. */
  readonly extensions: Readonly<Record<string, unknown>>;
  /** Data after `maskData`, sanitized. */
  readonly data: unknown;
  /** Bytes of the signal's CloudEvents JSON as published (before masking). */
  readonly size: number;
}

/**
 * Turn signals into what the page may see: `maskData` first, then `sanitize` (credential-
 * like keys redacted in data and extensions, long values cut).
 * @internal
 */
export class SignalViewer {
  constructor(private readonly mask: SignalBoardMaskFunction | undefined) {}

  view(signal: Signal, recordedAt?: number): SignalView {
    const json = signal.toJSON() as Record<string, unknown>;
    let size: number;
    try {
      size = Buffer.byteLength(JSON.stringify(json), 'utf8');
    } catch {
      size = 0;
    }
    const attributes: Record<string, unknown> = {};
    const rawExtensions: Record<string, unknown> = {};
    for (const key of Object.keys(json)) {
      if (key === 'data' || key === 'data_base64') continue;
      if (ATTRIBUTES.has(key)) attributes[key] = json[key];
      else rawExtensions[key] = json[key];
    }
    let data: unknown = signal.data;
    if (this.mask !== undefined) {
      try {
        data = this.mask(signal.data, signal);
      } catch {
        // A failing mask must not leak the unmasked data.
        data = '[mask failed]';
      }
    }
    return {
      id: signal.id,
      type: signal.type,
      source: signal.source,
      time: typeof json.time === 'string' ? json.time : undefined,
      recordedAt,
      attributes: sanitize(attributes, LIMITS) as Record<string, unknown>,
      extensions: sanitize(rawExtensions, LIMITS) as Record<string, unknown>,
      data: sanitize(data, LIMITS),
      size,
    };
  }
}
