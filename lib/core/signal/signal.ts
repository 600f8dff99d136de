import { SignalParseError } from '../errors/parse.error.js';
import { SignalValidationError } from '../errors/validation.error.js';
import {
  checkSpecversion,
  optionalMediaType,
  optionalString,
  optionalTime,
  optionalUriReference,
  requireString,
  requireType,
} from './attributes.js';
import { expectEnvelope, initFromEnvelope } from './envelope.js';
import {
  assertExtensionName,
  createExtensionRegistry,
  type ExtensionRegistry,
} from './extensions.js';
import {
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_PAYLOAD_BYTES,
  assertJsonEnvelope,
  isPlainObject,
  parseJsonSafely,
  resolveMaxDepth,
} from './safe-input.js';
import { SignalId, type GeneratedId } from './signal-id.js';
import type {
  SignalAttributes,
  SignalInit,
  SignalParseOptions,
  StructuredSignal,
} from './signal.types.js';

export type {
  SignalAttributes,
  SignalInit,
  SignalParseOptions,
  StructuredSignal,
} from './signal.types.js';

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

// Set by the factory right before `new Signal(...)` for attributes it generated itself, so
// the constructor can skip re-validating them. Single-threaded: read and reset immediately.
let trustedConstruction = false;

function defaultContentType(data: unknown): string | undefined {
  if (data === undefined) return undefined;
  return data instanceof Uint8Array ? 'application/octet-stream' : 'application/json';
}

function validateExtensions(
  registry: ExtensionRegistry,
  input: Readonly<Record<string, unknown>> | undefined,
): Readonly<Record<string, unknown>> {
  if (input === undefined || input === null) return EMPTY;
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new SignalValidationError(
      'invalid_attribute',
      'extensions',
      'Signal attribute "extensions" must be an object',
    );
  }
  let out: Record<string, unknown> | undefined;
  for (const name of Object.keys(input)) {
    const value = input[name];
    if (value === undefined) continue;
    (out ??= {})[name] = registry.validate(name, value);
  }
  return out ?? EMPTY;
}

/**
 * An immutable CloudEvents 1.0 event: context attributes, `data` and extension attributes.
 * Create with {@link createSignal} or a typed definition ({@link defineSignal}); parse
 * untrusted input with {@link Signal.from} / {@link Signal.fromJSON}.
 */
export class Signal<D = unknown, T extends string = string> {
  /** Always `"1.0"` (input `"1.0.2"` is normalized). */
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: T;
  readonly subject: string | undefined;
  readonly time: string | undefined;
  readonly datacontenttype: string | undefined;
  readonly dataschema: string | undefined;
  readonly data: D;
  /** Extension attributes (`traceparent`, `correlationid`, custom ones, …). */
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly #registry: ExtensionRegistry;

  /**
   * Validates every attribute. Prefer {@link createSignal}, which also fills `id` and `time`.
   * @throws SignalValidationError naming the failing attribute
   */
  constructor(init: SignalInit<D, T>, options: { extensions?: ExtensionRegistry } = {}) {
    const registry = options.extensions ?? defaultFactory.extensions;
    this.specversion = '1.0';
    if (trustedConstruction) {
      trustedConstruction = false;
      this.id = init.id;
      this.source = init.source;
      this.type = init.type;
      this.subject = init.subject;
      this.time = init.time as string | undefined;
      this.datacontenttype = init.datacontenttype;
      this.dataschema = init.dataschema;
      this.data = init.data as D;
      this.extensions = init.extensions ?? EMPTY;
    } else {
      if (typeof init !== 'object' || init === null) {
        throw new SignalValidationError(
          'invalid_signal',
          'signal',
          'Signal attributes must be an object',
        );
      }
      checkSpecversion(init.specversion);
      this.id = requireString('id', init.id);
      this.source = requireString('source', init.source);
      this.type = requireType(init.type) as T;
      this.subject = optionalString('subject', init.subject);
      this.time = optionalTime(init.time);
      this.datacontenttype =
        optionalMediaType(init.datacontenttype) ?? defaultContentType(init.data);
      this.dataschema = optionalUriReference('dataschema', init.dataschema);
      this.data = init.data as D;
      this.extensions = validateExtensions(registry, init.extensions);
    }
    this.#registry = registry;
  }

  /**
   * Parse an already-decoded structured-mode object (or return a Signal unchanged).
   * Accepts specversion `"1.0"` and `"1.0.2"`, `data_base64`, jido's nested `extensions`
   * map and its legacy attribute names.
   *
   * The value must be plain JSON data: strings, finite numbers,
   * booleans, `null`, plain objects and arrays, at most `maxDepth` levels deep, as a tree,
   * without `__proto__` / `constructor` / `prototype` keys; only `data` may also be bytes.
   * @throws SignalParseError | UnsupportedValueError | NestingTooDeepError | UnsafeKeyError |
   *   SignalValidationError
   */
  static from(value: unknown, options: SignalParseOptions = {}): Signal {
    if (value instanceof Signal) return value as Signal;
    const envelope = expectEnvelope(value);
    if (!isPlainObject(envelope)) {
      throw new SignalParseError('Expected a plain signal object (structured-mode JSON data)');
    }
    assertJsonEnvelope(envelope, resolveMaxDepth(options.maxDepth, defaultFactory.maxDepth));
    return signalFromEnvelope(envelope, options);
  }

  /**
   * Parse JSON structured-mode text or bytes. Never throws a raw `SyntaxError`.
   * @throws PayloadTooLargeError | SignalParseError | NestingTooDeepError | UnsafeKeyError |
   *   SignalValidationError
   */
  static fromJSON(text: string | Uint8Array, options: SignalParseOptions = {}): Signal {
    const value = parseJsonSafely(text, {
      maxBytes: options.maxPayloadBytes ?? defaultFactory.maxPayloadBytes,
      maxDepth: resolveMaxDepth(options.maxDepth, defaultFactory.maxDepth),
      kind: 'signal',
    });
    return signalFromEnvelope(expectEnvelope(value), options);
  }

  /** `true` for Signal instances. */
  static isSignal(value: unknown): value is Signal {
    return value instanceof Signal;
  }

  /** The value of an extension attribute. */
  getExtension<V = unknown>(name: string): V | undefined {
    return this.extensions[name] as V | undefined;
  }

  /**
   * A copy with an extension set (validated).
   * @throws SignalValidationError (`invalid_extension_name`) when `name` is not a string of
   *   1-20 lowercase letters or digits — a number such as `123` is refused, not stored as
   *   `'123'`; (`reserved_extension_name`) for a CloudEvents attribute name;
   *   (`invalid_extension_value`) for a value the extension does not accept
   */
  withExtension(name: string, value: unknown): Signal<D, T> {
    // Checked before the spread: a computed key would silently turn 123 into '123'.
    assertExtensionName(name);
    return this.with({ extensions: { ...this.extensions, [name]: value } });
  }

  /** A copy without an extension. */
  withoutExtension(name: string): Signal<D, T> {
    if (!(name in this.extensions)) return this;
    const { [name]: _removed, ...rest } = this.extensions;
    return this.with({ extensions: rest });
  }

  /** A validated copy with some attributes replaced. */
  with<D2 = D>(changes: Partial<Omit<SignalInit<D2, T>, 'specversion'>>): Signal<D2, T> {
    return new Signal<D2, T>(
      {
        id: this.id,
        source: this.source,
        type: this.type,
        subject: this.subject,
        time: this.time,
        datacontenttype: this.datacontenttype,
        dataschema: this.dataschema,
        data: this.data as unknown as D2,
        extensions: this.extensions,
        ...changes,
      },
      { extensions: this.#registry },
    );
  }

  /**
   * CloudEvents JSON structured mode: extensions flattened to top-level attributes
   * (off-wire extensions such as `dispatch` left out), bytes as `data_base64`.
   */
  toJSON(): StructuredSignal {
    const out: StructuredSignal = {
      specversion: '1.0',
      id: this.id,
      source: this.source,
      type: this.type,
    };
    if (this.subject !== undefined) out.subject = this.subject;
    if (this.time !== undefined) out.time = this.time;
    if (this.datacontenttype !== undefined) out.datacontenttype = this.datacontenttype;
    if (this.dataschema !== undefined) out.dataschema = this.dataschema;
    for (const name in this.extensions) {
      if (this.#registry.isWire(name)) out[name] = this.extensions[name];
    }
    const data: unknown = this.data;
    if (data instanceof Uint8Array)
      out.data_base64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString(
        'base64',
      );
    else if (data !== undefined) out.data = data;
    return out;
  }

  /** The extension registry this signal was validated against. */
  get extensionRegistry(): ExtensionRegistry {
    return this.#registry;
  }
}

/** Options of a {@link SignalFactory}. */
export interface SignalFactoryOptions {
  /** `source` for signals created without one. @default '/app' */
  source?: string;
  /** Registered extensions. @default the built-ins (trace context, causality, dispatch) */
  extensions?: ExtensionRegistry;
  /** Largest encoded input {@link SignalFactory.fromJSON} accepts, in bytes. @default 10_000_000 */
  maxPayloadBytes?: number;
  /**
   * Deepest nesting of objects and arrays the parsers accept inside a signal's attributes
   * (`data: { a: [1] }` is 2 levels). @default 64
   */
  maxDepth?: number;
  /**
   * Source of ids and their timestamps (which also become `time`). Tests plug in a
   * deterministic sequence; see `sequentialIds` in `nestjs-jido-signal/testing`.
   * @default SignalId.generateWithTimestamp
   */
  ids?: () => GeneratedId;
}

let lastTimeMs = -1;
let lastTimeIso = '';

function isoTime(ms: number): string {
  if (ms !== lastTimeMs) {
    lastTimeMs = ms;
    lastTimeIso = new Date(ms).toISOString();
  }
  return lastTimeIso;
}

/**
 * Creates and parses signals with one application's defaults (source, extensions, size
 * limit). The module-level {@link createSignal} uses the default factory; the Nest module
 * configures its own.
 */
export class SignalFactory {
  readonly source: string;
  readonly extensions: ExtensionRegistry;
  readonly maxPayloadBytes: number;
  readonly maxDepth: number;
  private readonly nextId: () => GeneratedId;

  constructor(options: SignalFactoryOptions = {}) {
    this.nextId = options.ids ?? (() => SignalId.generateWithTimestamp());
    this.source = requireString('source', options.source ?? '/app');
    this.extensions = options.extensions ?? createExtensionRegistry();
    const limit = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    if (!Number.isInteger(limit) || limit <= 0) {
      throw new SignalValidationError(
        'invalid_attribute',
        'maxPayloadBytes',
        `maxPayloadBytes must be a positive integer, got ${String(limit)}`,
      );
    }
    this.maxPayloadBytes = limit;
    const depth = resolveMaxDepth(options.maxDepth, DEFAULT_MAX_DEPTH);
    this.maxDepth = depth;
  }

  /**
   * A new signal: UUIDv7 `id`, `time` now (RFC 3339, UTC), `specversion` `"1.0"`, `source`
   * from `attrs` or the factory default.
   * @throws SignalValidationError naming the failing attribute
   */
  create<T extends string, D = undefined>(
    type: T,
    data?: D,
    attrs?: SignalAttributes,
  ): Signal<D, T> {
    requireType(type);
    if (attrs === undefined) {
      const { id, timestamp } = this.nextId();
      trustedConstruction = true;
      return new Signal<D, T>(
        {
          id,
          source: this.source,
          type,
          time: isoTime(timestamp),
          datacontenttype: defaultContentType(data),
          data: data,
        },
        { extensions: this.extensions },
      );
    }
    if (typeof attrs !== 'object' || attrs === null) {
      throw new SignalValidationError(
        'invalid_attribute',
        'attrs',
        'createSignal attrs must be an object',
      );
    }
    for (const forbidden of ['type', 'data', 'specversion'] as const) {
      if (forbidden in attrs) {
        throw new SignalValidationError(
          'invalid_attribute',
          forbidden,
          `"${forbidden}" must not be passed in attrs; it is ${forbidden === 'specversion' ? 'always "1.0"' : 'a positional argument'}`,
        );
      }
    }
    // Validate only what the caller supplied; generated id and time are valid by construction.
    let id: string;
    let time: string;
    if (attrs.id === undefined) {
      const generated = this.nextId();
      id = generated.id;
      time = attrs.time === undefined ? isoTime(generated.timestamp) : optionalTime(attrs.time)!;
    } else {
      id = requireString('id', attrs.id);
      time = attrs.time === undefined ? isoTime(Date.now()) : optionalTime(attrs.time)!;
    }
    const init: SignalInit<D, T> = {
      id,
      source: attrs.source === undefined ? this.source : requireString('source', attrs.source),
      type,
      subject: optionalString('subject', attrs.subject),
      time,
      datacontenttype: optionalMediaType(attrs.datacontenttype) ?? defaultContentType(data),
      dataschema: optionalUriReference('dataschema', attrs.dataschema),
      data: data,
      extensions: validateExtensions(this.extensions, attrs.extensions),
    };
    trustedConstruction = true;
    return new Signal<D, T>(init, { extensions: this.extensions });
  }

  /** {@link Signal.from} with this factory's extensions and nesting limit. */
  from(value: unknown): Signal {
    return Signal.from(value, { extensions: this.extensions, maxDepth: this.maxDepth });
  }

  /** {@link Signal.fromJSON} with this factory's extensions, size and nesting limits. */
  fromJSON(text: string | Uint8Array): Signal {
    return Signal.fromJSON(text, {
      extensions: this.extensions,
      maxPayloadBytes: this.maxPayloadBytes,
      maxDepth: this.maxDepth,
    });
  }
}

let defaultFactory = new SignalFactory();

/** The factory behind {@link createSignal}, {@link Signal.from} and {@link Signal.fromJSON}. */
export function getDefaultSignalFactory(): SignalFactory {
  return defaultFactory;
}

/**
 * Replace the default factory's settings (application `source`, extensions, size limit).
 * Call once at start-up. The Nest module leaves it alone: `forRoot({ signals })` configures
 * the application's own `SignalFactory` provider.
 */
export function configureSignals(options: SignalFactoryOptions): SignalFactory {
  defaultFactory = new SignalFactory(options);
  return defaultFactory;
}

/**
 * Create a signal with the default factory.
 * @example createSignal('order.created', { orderId: 'o-1' }, { subject: 'o-1' })
 */
export function createSignal<T extends string>(type: T): Signal<undefined, T>;
export function createSignal<T extends string, D>(
  type: T,
  data: D,
  attrs?: SignalAttributes,
): Signal<D, T>;
export function createSignal<T extends string, D>(
  type: T,
  data?: D,
  attrs?: SignalAttributes,
): Signal<D | undefined, T> {
  return defaultFactory.create(type, data, attrs);
}

/**
 * A signal from an envelope already known to be plain JSON data (see `initFromEnvelope`),
 * validated against the registry in `options` or the default factory's — the one step every
 * decoder ends with.
 * @internal
 */
export function signalFromEnvelope(
  envelope: Record<string, unknown>,
  options: SignalParseOptions,
): Signal {
  const extensions = options.extensions ?? defaultFactory.extensions;
  return new Signal(initFromEnvelope(envelope, extensions), { extensions });
}
