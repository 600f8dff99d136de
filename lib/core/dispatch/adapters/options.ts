import { DispatchConfigError } from '../../errors/dispatch.error.js';
import { integerProblem } from '../../util/integer.js';

// Small checks shared by the built-in adapters' `validateOptions`. Each throws a
// `DispatchConfigError` naming the adapter and the field.

/** Rejects option keys the adapter does not know (typos such as `requireSubscriber`). */
export function rejectUnknownKeys(
  adapter: string,
  options: Readonly<Record<string, unknown>>,
  known: ReadonlySet<string>,
): void {
  for (const key of Object.keys(options)) {
    if (key === 'batch' && !known.has(key)) {
      throw new DispatchConfigError(
        adapter,
        key,
        '"batch" applies to subscription targets (bus.subscribe); use dispatcher.dispatchMany(signals, config) to send a list in batches',
      );
    }
    if (!known.has(key)) {
      throw new DispatchConfigError(
        adapter,
        key,
        `unknown option "${key}"; known options: ${[...known].join(', ')}`,
      );
    }
  }
}

/** An integer in `min..max` (inclusive). */
export function integerInRange(
  adapter: string,
  field: string,
  value: unknown,
  min: number,
  max: number,
): number {
  const problem = integerProblem(value, min, max);
  if (problem !== undefined) throw new DispatchConfigError(adapter, field, `"${field}" ${problem}`);
  return value as number;
}

/** An optional boolean, `fallback` when absent. */
export function optionalBoolean(
  adapter: string,
  field: string,
  value: unknown,
  fallback: boolean,
): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new DispatchConfigError(
      adapter,
      field,
      `"${field}" must be a boolean, got ${typeName(value)}`,
    );
  }
  return value;
}

/** An optional member of `allowed`, `fallback` when absent. */
export function optionalEnum<T extends string>(
  adapter: string,
  field: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new DispatchConfigError(
      adapter,
      field,
      `"${field}" must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${typeName(value)}`,
    );
  }
  return value as T;
}

/** An optional integer in `[min, max]`, `fallback` when absent. */
export function optionalInteger(
  adapter: string,
  field: string,
  value: unknown,
  min: number,
  max: number,
  fallback: number,
): number {
  return value === undefined ? fallback : integerInRange(adapter, field, value, min, max);
}

/** A required non-empty string. */
export function requiredString(adapter: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new DispatchConfigError(
      adapter,
      field,
      `"${field}" is required and must be a non-empty string, got ${typeName(value)}`,
    );
  }
  return value;
}

/** An optional function, `undefined` when absent. */
export function optionalFunction<F extends (...args: never[]) => unknown>(
  adapter: string,
  field: string,
  value: unknown,
): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') {
    throw new DispatchConfigError(
      adapter,
      field,
      `"${field}" must be a function, got ${typeName(value)}`,
    );
  }
  return value as F;
}

/** A short, secret-free description of a value's type for error messages. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number')
    return Number.isFinite(value) ? `the number ${value}` : String(value);
  if (typeof value === 'object')
    return (value.constructor as { name?: string } | undefined)?.name ?? 'an object';
  return `a ${typeof value}`;
}
