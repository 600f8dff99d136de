/**
 * Checks that `value` is an integer in `min..max` (inclusive). Returns `undefined` when it
 * is, or the reason it is not (`"must be an integer from 1 to 10, got 'x'"`), so each
 * caller can throw its own typed error naming the option.
 * @internal
 */
export function integerProblem(value: unknown, min: number, max: number): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) {
    return undefined;
  }
  const range =
    max === Number.MAX_SAFE_INTEGER
      ? min === 0
        ? 'a non-negative integer'
        : min === 1
          ? 'a positive integer'
          : `an integer ≥ ${min}`
      : `an integer from ${min} to ${max}`;
  return `must be ${range}, got ${describeValue(value)}`;
}

function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (value === null) return 'null';
  return typeof value;
}
