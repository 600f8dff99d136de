import type { CanActivate, Type } from '@nestjs/common';
import type { CircuitBreaker } from '../core/dispatch/circuit-breaker.js';
import type { SignalJournal } from '../core/journal/signal-journal.js';
import { integerProblem } from '../core/util/integer.js';
import { SignalBoardError } from './board.error.js';
import type {
  SignalBoardAccessFunction,
  SignalBoardMaskFunction,
  SignalBoardOptions,
} from './board-options.interface.js';

/** Validated options of one board registration. @internal */
export interface SignalBoardConfig {
  readonly path: string;
  readonly guard: CanActivate | Type<CanActivate> | undefined;
  readonly canActivate: SignalBoardAccessFunction | undefined;
  readonly readOnly: boolean;
  readonly maskData: SignalBoardMaskFunction | undefined;
  readonly buses: readonly string[] | undefined;
  readonly journal: SignalJournal | undefined;
  readonly circuitBreakers: readonly CircuitBreaker[];
  readonly flushIntervalMs: number;
  readonly maxSignalsPerFlush: number;
  readonly maxStreams: number;
  readonly maxReplay: number;
  readonly title: string;
}

const PATH_RE = /^[A-Za-z0-9._~-]+(?:\/[A-Za-z0-9._~-]+)*$/;

function invalid(option: string, message: string): SignalBoardError {
  return new SignalBoardError('invalid_option', `JidoSignalBoardModule: ${message}`, { option });
}

/** An optional integer option in `min..max`, `fallback` when absent. */
function integer(
  option: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const problem = integerProblem(value, min, max);
  if (problem !== undefined) throw invalid(option, `"${option}" ${problem}`);
  return value as number;
}

/**
 * The mount path without leading or trailing slashes.
 * @throws SignalBoardError (code `'invalid_option'`) for anything but URL path segments
 */
export function resolveBoardPath(value: unknown): string {
  const path = (typeof value === 'string' ? value : value === undefined ? 'board' : '').replace(
    /^\/+|\/+$/g,
    '',
  );
  if (!PATH_RE.test(path)) {
    throw invalid(
      'path',
      `"path" must be URL path segments (letters, digits, . _ ~ -), got "${String(value)}"`,
    );
  }
  return path;
}

/**
 * Check the options and fill in defaults.
 * @throws SignalBoardError (code `'invalid_option'`) without an access decision (`guard`,
 *   `canActivate` or `allowUnauthenticated: true`) or for a bad option
 */
export function resolveBoardOptions(options: SignalBoardOptions): SignalBoardConfig {
  if (options === null || typeof options !== 'object') {
    throw invalid('options', 'options must be an object');
  }
  const { guard, canActivate, allowUnauthenticated } = options;
  if (
    guard !== undefined &&
    typeof guard !== 'function' &&
    typeof guard?.canActivate !== 'function'
  ) {
    throw invalid('guard', '"guard" must be a guard class or an object with canActivate()');
  }
  if (canActivate !== undefined && typeof canActivate !== 'function') {
    throw invalid('canActivate', '"canActivate" must be a function');
  }
  if (allowUnauthenticated !== undefined && typeof allowUnauthenticated !== 'boolean') {
    throw invalid('allowUnauthenticated', '"allowUnauthenticated" must be a boolean');
  }
  if (guard === undefined && canActivate === undefined && allowUnauthenticated !== true) {
    throw invalid(
      'guard',
      'refusing to mount the signal board without an access decision: pass `guard` (a Nest guard) or `canActivate`, or `allowUnauthenticated: true` for local development only',
    );
  }
  const path = resolveBoardPath(options.path);
  if (options.maskData !== undefined && typeof options.maskData !== 'function') {
    throw invalid('maskData', '"maskData" must be a function');
  }
  if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean') {
    throw invalid('readOnly', '"readOnly" must be a boolean');
  }
  if (
    options.buses !== undefined &&
    (!Array.isArray(options.buses) || options.buses.some((b) => typeof b !== 'string'))
  ) {
    throw invalid('buses', '"buses" must be an array of bus names');
  }
  const stream = options.stream ?? {};
  return {
    path,
    guard,
    canActivate,
    readOnly: options.readOnly ?? false,
    maskData: options.maskData,
    buses: options.buses === undefined ? undefined : [...(options.buses as readonly string[])],
    journal: options.journal,
    circuitBreakers: [...(options.circuitBreakers ?? [])],
    flushIntervalMs: integer('stream.flushIntervalMs', stream.flushIntervalMs, 250, 20, 10_000),
    maxSignalsPerFlush: integer(
      'stream.maxSignalsPerFlush',
      stream.maxSignalsPerFlush,
      40,
      1,
      1000,
    ),
    maxStreams: integer('stream.maxStreams', stream.maxStreams, 16, 1, 1000),
    maxReplay: integer('maxReplay', options.maxReplay, 500, 1, 10_000),
    title:
      typeof options.title === 'string' && options.title !== '' ? options.title : 'Signal board',
  };
}
