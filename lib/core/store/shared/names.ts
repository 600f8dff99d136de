import { InvalidBusNameError, StoreOptionError } from '../../errors/store.error.js';

// The bus-name and prefix rules of the distributed stores. Bus names follow one rule on every
// engine (a bus name that works on JetStream works on Redis); each engine has its own prefix
// alphabet and length.

const NAME_RE = /^[A-Za-z0-9_-]+$/;
/** Longest bus name (JetStream stream names become file names on the server). */
export const MAX_BUS_NAME_LENGTH = 128;

/**
 * Assert that `bus` is 1 to 128 characters of `[A-Za-z0-9_-]`.
 * @throws InvalidBusNameError (`invalid_bus_name`) naming `store`
 * @internal
 */
export function assertStoreBusName(store: string, bus: unknown): asserts bus is string {
  if (typeof bus !== 'string') throw new InvalidBusNameError(store, bus, 'it must be a string');
  if (bus.length === 0 || bus.length > MAX_BUS_NAME_LENGTH || !NAME_RE.test(bus)) {
    throw new InvalidBusNameError(
      store,
      bus,
      `use 1 to ${MAX_BUS_NAME_LENGTH} characters of A-Z, a-z, 0-9, "_" and "-"`,
    );
  }
}

/** An engine's prefix rule: the characters allowed (and how to name them) and the length. */
export interface PrefixRule {
  readonly pattern: RegExp;
  readonly maxLength: number;
  /** The allowed characters in words, e.g. `A-Z, a-z, 0-9 and "-"`. */
  readonly allowed: string;
}

/**
 * Assert that `prefix` is 1 to `rule.maxLength` characters matching `rule.pattern`.
 * @throws StoreOptionError (`invalid_option`) naming `store` and `prefix`
 * @internal
 */
export function assertStorePrefix(
  store: string,
  prefix: unknown,
  rule: PrefixRule,
): asserts prefix is string {
  if (
    typeof prefix !== 'string' ||
    prefix.length === 0 ||
    prefix.length > rule.maxLength ||
    !rule.pattern.test(prefix)
  ) {
    throw new StoreOptionError(
      store,
      'prefix',
      `must be 1 to ${rule.maxLength} characters of ${rule.allowed}`,
    );
  }
}
