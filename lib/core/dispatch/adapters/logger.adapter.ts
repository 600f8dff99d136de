import { DispatchConfigError } from '../../errors/dispatch.error.js';
import type { Signal } from '../../signal/signal.js';
import type { DeliveryContext, DispatchAdapter } from '../adapter.interface.js';
import { preview, sanitize } from '../sanitize.js';
import {
  optionalBoolean,
  optionalEnum,
  optionalInteger,
  rejectUnknownKeys,
  typeName,
} from './options.js';

/**
 * The logger the `logger` adapter writes to — structurally Nest's `LoggerService`, so a
 * Nest `Logger`/`ConsoleLogger` (or pino/winston wrapped in one) fits as it is.
 */
export interface DispatchLogger {
  /** Write a 'log' level message. */
  log(message: unknown, ...optionalParams: unknown[]): unknown;
  /** Write an 'error' level message. */
  error(message: unknown, ...optionalParams: unknown[]): unknown;
  /** Write a 'warn' level message. */
  warn(message: unknown, ...optionalParams: unknown[]): unknown;
  /** Write a 'debug' level message (falls back to `log`). */
  debug?(message: unknown, ...optionalParams: unknown[]): unknown;
  /** Write a 'verbose' level message (falls back to `log`). */
  verbose?(message: unknown, ...optionalParams: unknown[]): unknown;
  /** Write a 'fatal' level message (falls back to `error`). */
  fatal?(message: unknown, ...optionalParams: unknown[]): unknown;
}

/** Log levels of {@link DispatchLogger} (Nest's). */
export type DispatchLogLevel = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';

function writeConsole(
  method: 'log' | 'error' | 'warn' | 'debug',
  message: unknown,
  optionalParams: unknown[],
): void {
  // Nest convention: the last string parameter is the context.
  const context = optionalParams.length > 0 ? optionalParams[optionalParams.length - 1] : undefined;
  if (typeof context !== 'string') console[method]('[JidoSignal]', message, ...optionalParams);
  else console[method](`[${context}]`, message, ...optionalParams.slice(0, -1));
}

/**
 * The default {@link DispatchLogger}: `console`, with Nest's trailing context argument as a
 * `[context]` prefix (`[JidoSignal]` without one).
 */
export const consoleLogger: DispatchLogger = {
  log: (message, ...params) => writeConsole('log', message, params),
  error: (message, ...params) => writeConsole('error', message, params),
  warn: (message, ...params) => writeConsole('warn', message, params),
  debug: (message, ...params) => writeConsole('debug', message, params),
  verbose: (message, ...params) => writeConsole('debug', message, params),
  fatal: (message, ...params) => writeConsole('error', message, params),
};

/** Options of the `logger` adapter: `{ adapter: 'logger', ... }`. */
export interface LoggerDispatchOptions {
  /** Log level. @default 'log' */
  level?: DispatchLogLevel;
  /**
   * Message template; `$type`, `$source`, `$id`, `$subject`, `$time` and `$data` are
   * replaced. Without `$data`, the data preview is appended as ` data=…` (when `includeData`).
   * @default '$type from $source'
   */
  format?: string;
  /**
   * Log an object `{ event: 'signal_dispatched', id, type, source, subject, time, data }`
   * instead of a formatted string.
   * @default false
   */
  structured?: boolean;
  /** Include the signal's data (secrets redacted, bounded). @default true */
  includeData?: boolean;
  /** Longest data preview in characters (string mode). @default 240 */
  maxDataLength?: number;
  /**
   * Context argument passed to the logger (Nest's `[Context]`), overriding a Nest
   * `Logger`'s own context.
   * @default none — the logger's own context applies
   */
  context?: string;
  /** Logger for this target. @default the dispatcher's logger (`consoleLogger` unless configured) */
  logger?: DispatchLogger;
}

/** Validated options of the `logger` adapter. */
export interface NormalizedLoggerOptions {
  /** Log level. */
  readonly level: DispatchLogLevel;
  /** Message template. */
  readonly format: string;
  /** Object instead of string. */
  readonly structured: boolean;
  /** Whether data is logged. */
  readonly includeData: boolean;
  /** Longest data preview. */
  readonly maxDataLength: number;
  /** Logger context argument, if any. */
  readonly context: string | undefined;
  /** The logger. */
  readonly logger: DispatchLogger;
}

const LOGGER_KEYS: ReadonlySet<string> = new Set([
  'level',
  'format',
  'structured',
  'includeData',
  'maxDataLength',
  'context',
  'logger',
]);
const LEVELS: readonly DispatchLogLevel[] = ['log', 'error', 'warn', 'debug', 'verbose', 'fatal'];
const PLACEHOLDER_RE = /\$(type|source|id|subject|time|data)\b/g;

function isLogger(value: unknown): value is DispatchLogger {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.log === 'function' && typeof v.error === 'function' && typeof v.warn === 'function'
  );
}

/**
 * Logs each signal through a Nest-compatible logger. Values under sensitive keys
 * (`authorization`, `password`, `token`, …) in the data are redacted; the data preview is
 * bounded.
 */
export class LoggerAdapter implements DispatchAdapter<NormalizedLoggerOptions> {
  /** `'logger'`. */
  readonly name = 'logger';

  /** @param logger default logger @default {@link consoleLogger} */
  constructor(readonly logger: DispatchLogger = consoleLogger) {}

  /** @throws DispatchConfigError naming the bad option */
  validateOptions(options: Readonly<Record<string, unknown>>): NormalizedLoggerOptions {
    rejectUnknownKeys(this.name, options, LOGGER_KEYS);
    const format = options.format ?? '$type from $source';
    if (typeof format !== 'string' || format.length === 0) {
      throw new DispatchConfigError(
        this.name,
        'format',
        `"format" must be a non-empty string, got ${typeName(format)}`,
      );
    }
    const context = options.context;
    if (context !== undefined && typeof context !== 'string') {
      throw new DispatchConfigError(
        this.name,
        'context',
        `"context" must be a string, got ${typeName(context)}`,
      );
    }
    const logger = options.logger ?? this.logger;
    if (!isLogger(logger)) {
      throw new DispatchConfigError(
        this.name,
        'logger',
        `"logger" must have log(), error() and warn() methods, got ${typeName(logger)}`,
      );
    }
    return {
      level: optionalEnum(this.name, 'level', options.level, LEVELS, 'log'),
      format,
      structured: optionalBoolean(this.name, 'structured', options.structured, false),
      includeData: optionalBoolean(this.name, 'includeData', options.includeData, true),
      maxDataLength: optionalInteger(
        this.name,
        'maxDataLength',
        options.maxDataLength,
        16,
        100_000,
        240,
      ),
      context,
      logger,
    };
  }

  /** Writes one log entry. */
  deliver(signal: Signal, options: NormalizedLoggerOptions, _context: DeliveryContext): void {
    const entry = options.structured
      ? structuredEntry(signal, options)
      : formatEntry(signal, options);
    write(options.logger, options.level, entry, options.context);
  }

  /** The level, e.g. `log` or `error`. */
  describeTarget(options: NormalizedLoggerOptions): string {
    return options.level;
  }
}

function structuredEntry(
  signal: Signal,
  options: NormalizedLoggerOptions,
): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    event: 'signal_dispatched',
    id: signal.id,
    type: signal.type,
    source: signal.source,
  };
  if (signal.subject !== undefined) entry.subject = signal.subject;
  if (signal.time !== undefined) entry.time = signal.time;
  if (options.includeData && signal.data !== undefined) entry.data = sanitize(signal.data);
  return entry;
}

function formatEntry(signal: Signal, options: NormalizedLoggerOptions): string {
  let usedData = false;
  const text = options.format.replace(PLACEHOLDER_RE, (_match, name: string) => {
    switch (name) {
      case 'type':
        return signal.type;
      case 'source':
        return signal.source;
      case 'id':
        return signal.id;
      case 'subject':
        return signal.subject ?? '';
      case 'time':
        return signal.time ?? '';
      default:
        usedData = true;
        return options.includeData ? preview(signal.data, options.maxDataLength) : '[omitted]';
    }
  });
  if (usedData || !options.includeData || signal.data === undefined) return text;
  return `${text} data=${preview(signal.data, options.maxDataLength)}`;
}

function write(
  logger: DispatchLogger,
  level: DispatchLogLevel,
  entry: unknown,
  context: string | undefined,
): void {
  // No context argument unless configured: a Nest `Logger` appends its own context, and a
  // second one would be printed as an extra message.
  const rest: unknown[] = context === undefined ? [] : [context];
  switch (level) {
    case 'log':
      logger.log(entry, ...rest);
      return;
    case 'error':
      logger.error(entry, ...rest);
      return;
    case 'warn':
      logger.warn(entry, ...rest);
      return;
    case 'debug':
      if (logger.debug) logger.debug(entry, ...rest);
      else logger.log(entry, ...rest);
      return;
    case 'verbose':
      if (logger.verbose) logger.verbose(entry, ...rest);
      else logger.log(entry, ...rest);
      return;
    case 'fatal':
      if (logger.fatal) logger.fatal(entry, ...rest);
      else logger.error(entry, ...rest);
      return;
  }
}
