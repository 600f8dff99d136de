import { describeThrown } from '../errors/jido-signal.error.js';
import { SignalValidationError } from '../errors/validation.error.js';
import { parseTraceparent } from './trace-context.js';

/** Values a CloudEvents extension attribute may hold on the wire. */
export type ExtensionValue = string | number | boolean;

/** CloudEvents attribute names: lowercase letters and digits, 1–20 characters. */
export const EXTENSION_NAME_RE = /^[a-z0-9]{1,20}$/;

/** Context attributes and payload members that can never be used as extension names. */
export const RESERVED_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set([
  'id',
  'source',
  'type',
  'specversion',
  'subject',
  'time',
  'datacontenttype',
  'dataschema',
  'data',
  'data_base64',
  'extensions',
]);

/**
 * A named extension: a validator for its value and whether it travels on the wire.
 * Unregistered extensions are allowed too; they only have to be CloudEvents-shaped
 * (a valid name and a string, number or boolean value).
 */
export interface SignalExtension<V = unknown> {
  /** Attribute name (`[a-z0-9]{1,20}`). */
  readonly name: string;
  /** What the extension is for (shown in docs and errors). */
  readonly description?: string;
  /**
   * Check and normalize a value. Return the value to store; throw (any error) or return
   * `undefined` to reject it.
   */
  validate(value: unknown): V | undefined;
  /**
   * Whether serializers put it on the wire. Extensions holding in-process values (such as
   * dispatch targets with functions) stay off.
   * @default true
   */
  readonly wire?: boolean;
}

/** A set of named extensions consulted when signals are created or parsed. */
export class ExtensionRegistry {
  private readonly byName = new Map<string, SignalExtension>();

  /** @param extensions extensions to register immediately @default [] */
  constructor(extensions: Iterable<SignalExtension> = []) {
    for (const ext of extensions) this.register(ext);
  }

  /**
   * Register an extension. Names follow CloudEvents rules; context attribute names and
   * names already registered are rejected.
   * @throws SignalValidationError (`invalid_extension_name` / `reserved_extension_name`)
   */
  register(extension: SignalExtension): this {
    assertExtensionName(extension.name);
    if (this.byName.has(extension.name)) {
      throw new SignalValidationError(
        'reserved_extension_name',
        extension.name,
        `Extension "${extension.name}" is already registered`,
      );
    }
    this.byName.set(extension.name, extension);
    return this;
  }

  /** The extension registered under `name`, if any. */
  get(name: string): SignalExtension | undefined {
    return this.byName.get(name);
  }

  /** Whether `name` is registered. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** All registered extensions, in registration order. */
  list(): SignalExtension[] {
    return [...this.byName.values()];
  }

  /** Whether a value under `name` is serialized (unregistered extensions are). */
  isWire(name: string): boolean {
    return this.byName.get(name)?.wire !== false;
  }

  /** A copy that can be extended without touching this registry. */
  clone(): ExtensionRegistry {
    return new ExtensionRegistry(this.byName.values());
  }

  /**
   * Validate one extension value (registered validator, or the CloudEvents value rule).
   * @throws SignalValidationError naming the extension
   */
  validate(name: string, value: unknown): unknown {
    assertExtensionName(name);
    const ext = this.byName.get(name);
    if (ext === undefined) {
      if (typeof value === 'string' || typeof value === 'boolean') return value;
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      throw new SignalValidationError(
        'invalid_extension_value',
        name,
        `Extension "${name}" must be a string, an integer or a boolean, got ${describe(value)}`,
      );
    }
    let result: unknown;
    try {
      result = ext.validate(value);
    } catch (cause) {
      throw new SignalValidationError(
        'invalid_extension_value',
        name,
        `Invalid value for extension "${name}": ${describeThrown(cause)}`,
        { cause },
      );
    }
    if (result === undefined) {
      throw new SignalValidationError(
        'invalid_extension_value',
        name,
        `Invalid value for extension "${name}": ${describe(value)}`,
      );
    }
    return result;
  }
}

/** @throws SignalValidationError when `name` is not a usable extension attribute name */
export function assertExtensionName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !EXTENSION_NAME_RE.test(name)) {
    throw new SignalValidationError(
      'invalid_extension_name',
      String(name),
      `Extension name "${String(name)}" is invalid: use 1-20 lowercase letters or digits`,
    );
  }
  if (RESERVED_ATTRIBUTE_NAMES.has(name)) {
    throw new SignalValidationError(
      'reserved_extension_name',
      name,
      `"${name}" is a CloudEvents attribute and cannot be an extension`,
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string'
    ? JSON.stringify(value.length > 60 ? value.slice(0, 60) + '…' : value)
    : typeof value;
}

function nonEmptyString(max: number) {
  return (value: unknown): string | undefined =>
    typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;
}

/** W3C trace context `traceparent` (CloudEvents distributed-tracing extension). */
export const traceparentExtension: SignalExtension<string> = {
  name: 'traceparent',
  description: 'W3C trace context: version-traceid-parentid-flags',
  validate: (value) => (parseTraceparent(value) === undefined ? undefined : (value as string)),
};

/** W3C trace context `tracestate` (vendor list, at most 512 characters). */
export const tracestateExtension: SignalExtension<string> = {
  name: 'tracestate',
  description: 'W3C trace context vendor state',
  validate: (value) =>
    typeof value === 'string' && value.length <= 512 && !/[\r\n]/.test(value) ? value : undefined,
};

/** Id of the signal whose handling produced this one. */
export const causationIdExtension: SignalExtension<string> = {
  name: 'causationid',
  description: 'Id of the signal that caused this one',
  validate: nonEmptyString(256),
};

/** Id shared by every signal of one conversation or workflow. */
export const correlationIdExtension: SignalExtension<string> = {
  name: 'correlationid',
  description: 'Id shared by all signals of one workflow',
  validate: nonEmptyString(256),
};

/**
 * Dispatch configuration carried with a signal (jido's `jido_dispatch`). It may hold
 * in-process receivers, so it is kept off the wire.
 */
export const dispatchExtension: SignalExtension<object> = {
  name: 'dispatch',
  description: 'Dispatch configuration carried with the signal (never serialized)',
  wire: false,
  validate: (value) => {
    const list = Array.isArray(value) ? (value as unknown[]) : [value];
    for (const item of list) {
      if (typeof item !== 'object' || item === null || !('adapter' in item)) {
        throw new Error('expected a dispatch config ({ adapter, ...options }) or a list of them');
      }
    }
    return value as object;
  },
};

/** The extensions every registry starts with. */
export const BUILT_IN_EXTENSIONS: readonly SignalExtension[] = [
  traceparentExtension,
  tracestateExtension,
  causationIdExtension,
  correlationIdExtension,
  dispatchExtension,
];

/** A new registry holding the built-in extensions. */
export function createExtensionRegistry(extra: Iterable<SignalExtension> = []): ExtensionRegistry {
  const registry = new ExtensionRegistry(BUILT_IN_EXTENSIONS);
  for (const ext of extra) registry.register(ext);
  return registry;
}
