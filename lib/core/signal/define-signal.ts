import { SignalDataValidationError, type ValidationIssue } from '../errors/validation.error.js';
import { SignalValidationError } from '../errors/validation.error.js';
import { describeThrown } from '../errors/jido-signal.error.js';
import { loadOptionalPeer } from './optional-peer.js';
import {
  getDefaultSignalFactory,
  Signal,
  type SignalAttributes,
  type SignalFactory,
} from './signal.js';

/** What a plain validate function returns: the (possibly transformed) value or every issue. */
export type SchemaResult<D> =
  { value: D; issues?: undefined } | { issues: readonly ValidationIssue[] };

/** A plain validate function: return `{ value }` or `{ issues }` (throwing counts as one issue). */
export type ValidateFunction<D> = (data: unknown) => SchemaResult<D>;

/**
 * The synchronous subset of the Standard Schema v1 interface (zod, valibot, arktype, …).
 * See https://standardschema.dev.
 */
export interface StandardSchemaV1Like<D> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    validate(value: unknown):
      | { readonly value: D; readonly issues?: undefined }
      | {
          readonly issues: ReadonlyArray<{
            readonly message: string;
            readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>;
          }>;
        }
      | Promise<unknown>;
  };
}

/** A class-validator DTO class (optional peers `class-validator` + `class-transformer`). */
export type DtoClass<D extends object> = new (...args: never[]) => D;

/** Anything {@link defineSignal} accepts as `schema`. */
export type SignalSchema<D> =
  ValidateFunction<D> | StandardSchemaV1Like<D> | (D extends object ? DtoClass<D> : never);

/** Options of {@link defineSignal}. */
export interface DefineSignalOptions<T extends string, D> {
  /** The signal type, e.g. `order.created`. */
  type: T;
  /** `source` of created signals. @default the factory's application source */
  source?: string;
  /** Validates (and may transform) `data` on every `create`. @default undefined (no validation) */
  schema?: SignalSchema<D>;
  /** `datacontenttype` of created signals. @default 'application/json' */
  datacontenttype?: string;
  /** `dataschema` URI-reference of created signals. @default undefined */
  dataschema?: string;
  /** Factory providing ids, source and extensions. @default the default factory */
  factory?: SignalFactory;
}

/** A typed signal: `create(data)` returns `Signal<D, T>`, `is(signal)` narrows. */
export interface SignalDefinition<T extends string, D> {
  /** The signal type. */
  readonly type: T;
  /** Validate `data` and create a signal. @throws SignalDataValidationError listing every failing field */
  create(data: D, attrs?: Omit<SignalAttributes, 'source'> & { source?: string }): Signal<D, T>;
  /** Validate data without creating a signal. @throws SignalDataValidationError */
  validate(data: unknown): D;
  /** `true` when `signal` has this definition's type (data is not re-validated). */
  is(signal: Signal): signal is Signal<D, T>;
  /**
   * Parse untrusted input into a signal of this type: envelope validation, type check and
   * data validation. @throws SignalParseError | SignalValidationError | SignalDataValidationError
   */
  parse(value: unknown): Signal<D, T>;
}

interface ClassValidatorError {
  property: string;
  constraints?: Record<string, string>;
  children?: ClassValidatorError[];
}
interface ClassValidatorModule {
  validateSync(object: object, options?: object): ClassValidatorError[];
}
interface ClassTransformerModule {
  plainToInstance(cls: unknown, plain: unknown): unknown;
}

function isClass(fn: unknown): fn is DtoClass<object> {
  return typeof fn === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

function flattenClassValidator(errors: ClassValidatorError[], prefix = ''): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const stack: Array<[ClassValidatorError, string]> = errors.map((e) => [e, prefix]);
  while (stack.length > 0) {
    const [e, base] = stack.shift()!;
    const path = base ? `${base}.${e.property}` : e.property;
    for (const message of Object.values(e.constraints ?? {})) out.push({ path, message });
    for (const child of e.children ?? []) stack.push([child, path]);
  }
  return out;
}

function pathOf(
  path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined,
): string {
  if (path === undefined) return '';
  return path.map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
}

function compile<D>(type: string, schema: SignalSchema<D> | undefined): (data: unknown) => D {
  if (schema === undefined) return (data) => data as D;
  if (typeof schema === 'object' && schema !== null && '~standard' in schema) {
    const std = schema['~standard'];
    return (data) => {
      const result = std.validate(data);
      if (result instanceof Promise) {
        throw new SignalValidationError(
          'invalid_attribute',
          'schema',
          `Schema for "${type}" is asynchronous; signal schemas must validate synchronously`,
        );
      }
      const r = result as {
        value?: D;
        issues?: ReadonlyArray<{
          message: string;
          path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
        }>;
      };
      if (r.issues !== undefined) {
        throw new SignalDataValidationError(
          type,
          r.issues.map((i) => ({ path: pathOf(i.path), message: i.message })),
        );
      }
      return r.value as D;
    };
  }
  if (isClass(schema)) {
    const cls = schema;
    return (data) => {
      const cv = loadOptionalPeer<ClassValidatorModule>('class-validator', 'A DTO class schema');
      const ct = loadOptionalPeer<ClassTransformerModule>(
        'class-transformer',
        'A DTO class schema',
      );
      if (typeof data !== 'object' || data === null || Array.isArray(data)) {
        throw new SignalDataValidationError(type, [
          { path: '', message: `expected an object for ${cls.name}` },
        ]);
      }
      const instance = (data instanceof cls ? data : ct.plainToInstance(cls, data)) as object;
      const errors = cv.validateSync(instance);
      if (errors.length > 0)
        throw new SignalDataValidationError(type, flattenClassValidator(errors));
      return instance as D;
    };
  }
  if (typeof schema === 'function') {
    const fn = schema;
    return (data) => {
      let result: SchemaResult<D>;
      try {
        result = fn(data);
      } catch (cause) {
        throw new SignalDataValidationError(
          type,
          [{ path: '', message: describeThrown(cause) }],
          cause,
        );
      }
      if (result.issues !== undefined) throw new SignalDataValidationError(type, result.issues);
      return result.value;
    };
  }
  throw new SignalValidationError(
    'invalid_attribute',
    'schema',
    `Schema for "${type}" must be a validate function, a Standard Schema or a class-validator DTO class`,
  );
}

/**
 * Define a typed signal.
 *
 * @example
 * const OrderCreated = defineSignal({
 *   type: 'order.created',
 *   schema: (d: unknown) =>
 *     typeof (d as { id?: unknown }).id === 'string'
 *       ? { value: d as { id: string } }
 *       : { issues: [{ path: 'id', message: 'must be a string' }] },
 * });
 * const signal = OrderCreated.create({ id: 'o-1' }); // Signal<{ id: string }, 'order.created'>
 */
export function defineSignal<T extends string, D = unknown>(
  options: DefineSignalOptions<T, D>,
): SignalDefinition<T, D> {
  const type = options.type;
  if (typeof type !== 'string' || type.length === 0) {
    throw new SignalValidationError(
      'missing_attribute',
      'type',
      'defineSignal needs a non-empty "type"',
    );
  }
  const validate = compile<D>(type, options.schema);
  const factory = (): SignalFactory => options.factory ?? getDefaultSignalFactory();
  // Validate constant attributes once, at definition time.
  if (
    options.source !== undefined ||
    options.datacontenttype !== undefined ||
    options.dataschema !== undefined
  ) {
    factory().create(type, undefined, {
      source: options.source,
      datacontenttype: options.datacontenttype,
      dataschema: options.dataschema,
    });
  }
  return {
    type,
    create(data, attrs) {
      const value = validate(data);
      return factory().create(type, value, {
        source: options.source,
        datacontenttype: options.datacontenttype,
        dataschema: options.dataschema,
        ...attrs,
      });
    },
    validate,
    is(signal): signal is Signal<D, T> {
      return signal instanceof Signal && signal.type === type;
    },
    parse(value) {
      const signal = factory().from(value);
      if (signal.type !== type) {
        throw new SignalValidationError(
          'invalid_attribute',
          'type',
          `Expected a "${type}" signal, got "${signal.type}"`,
        );
      }
      return (signal as Signal<unknown, T>).with<D>({ data: validate(signal.data) });
    },
  };
}
