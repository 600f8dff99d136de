import type { ExtensionRegistry } from './extensions.js';

// The plain shapes a Signal is built from and parsed with (kept apart from the class so the
// envelope decoder can produce a SignalInit without importing Signal).

/** Everything needed to construct a {@link Signal}. */
export interface SignalInit<D = unknown, T extends string = string> {
  /** Unique id; {@link createSignal} generates a UUIDv7. */
  id: string;
  /** URI-reference identifying the producer (e.g. `/orders-service`). */
  source: string;
  /** Dotted signal type, e.g. `order.created`; at most 1024 characters and 128 segments. */
  type: T;
  /** `"1.0"`; jido_signal's `"1.0.2"` is accepted and normalized. @default '1.0' */
  specversion?: string;
  /** Subject of the event within the source. @default undefined */
  subject?: string;
  /** When it happened: RFC 3339 string or Date (normalized to a string). @default undefined */
  time?: string | Date;
  /** Media type of `data`. @default 'application/json' when data is present (octet-stream for bytes) */
  datacontenttype?: string;
  /** URI-reference of the schema `data` adheres to. @default undefined */
  dataschema?: string;
  /** Payload. @default undefined */
  data?: D;
  /** Extension attributes, name → value. @default {} */
  extensions?: Readonly<Record<string, unknown>>;
}

/** Optional attributes for {@link createSignal}. `type` and `data` are positional. */
export type SignalAttributes = Partial<Omit<SignalInit, 'type' | 'data' | 'specversion'>>;

/** CloudEvents JSON structured-mode representation (extensions flattened). */
export interface StructuredSignal {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  dataschema?: string;
  data?: unknown;
  data_base64?: string;
  [extension: string]: unknown;
}

/** Options for parsing untrusted input. */
export interface SignalParseOptions {
  /** Extensions to validate against. @default the default factory's registry */
  extensions?: ExtensionRegistry;
  /** Largest encoded input accepted, in bytes. @default 10_000_000 */
  maxPayloadBytes?: number;
  /**
   * Deepest nesting of objects and arrays accepted inside a signal's attributes
   * (`data: { a: [1] }` is 2 levels); deeper input is refused with `NestingTooDeepError`.
   * @default 64
   */
  maxDepth?: number;
}
