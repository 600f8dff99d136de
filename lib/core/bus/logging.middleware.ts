import { preview } from '../dispatch/sanitize.js';
import { SubscriberError } from '../errors/bus.error.js';
import type { Signal } from '../signal/signal.js';
import type { RecordedSignal } from '../store/signal-store.interface.js';
import type {
  BusMiddleware,
  DeliveryResult,
  DispatchContext,
  PublishContext,
} from './middleware.interface.js';
import type { SubscriptionInfo } from './subscription.js';

/**
 * The logger the middleware writes to — structurally a Nest `LoggerService` (pass
 * `new Logger('Bus')` from `@nestjs/common`), or anything with these methods. The last
 * argument is the context.
 */
export interface BusLogger {
  /** Info level. */
  log(message: string, context?: string): unknown;
  /** Error level. */
  error(message: string, context?: string): unknown;
  /** Warning level. */
  warn(message: string, context?: string): unknown;
  /** Debug level. */
  debug?(message: string, context?: string): unknown;
  /** Verbose level. */
  verbose?(message: string, context?: string): unknown;
}

/** Level of the non-error lines. */
export type BusLogLevel = 'log' | 'debug' | 'verbose' | 'warn';

/** Options of {@link LoggingMiddleware}. */
export interface LoggingMiddlewareOptions {
  /** Where lines go. @default a logger writing to `console` */
  logger?: BusLogger;
  /** Level of publish and dispatch lines (failures always use `error`). @default 'log' */
  level?: BusLogLevel;
  /** Context argument passed to the logger. @default 'SignalBus' */
  context?: string;
  /** Log `beforePublish` / `afterPublish`. @default true */
  logPublish?: boolean;
  /** Log each delivery (`beforeDispatch` / successful `afterDispatch`). @default true */
  logDispatch?: boolean;
  /** Log failed deliveries at `error` level. @default true */
  logErrors?: boolean;
  /**
   * Add one line per published signal with a preview of its data. The preview is sanitized:
   * values under keys such as `password`, `token`, `authorization`, `apiKey` are redacted.
   * @default false
   */
  includeData?: boolean;
  /** Longest data or error preview, in characters. @default 100 */
  maxDataLength?: number;
}

const MAX_LISTED_TYPES = 10;

/** A logger on `console` (the default when none is given). */
export const consoleBusLogger: BusLogger = {
  log: (message, context) => console.log(context ? `[${context}] ${message}` : message),
  error: (message, context) => console.error(context ? `[${context}] ${message}` : message),
  warn: (message, context) => console.warn(context ? `[${context}] ${message}` : message),
  debug: (message, context) => console.debug(context ? `[${context}] ${message}` : message),
  verbose: (message, context) => console.debug(context ? `[${context}] ${message}` : message),
};

/**
 * Logs publishes and deliveries — never alters signals or flow. Lines (jido_signal's
 * format): `Bus <name>: publishing N signal(s) types=[…]`, `Bus <name>: published N
 * signal(s)`, `Bus <name>: dispatching signal id=… type=… subscription=… pattern=…
 * target=…`, `Bus <name>: dispatched signal …` and, at `error` level, `Bus <name>: failed
 * dispatch … reason=<code>: <message>`. Data appears only with `includeData`, sanitized and
 * bounded; dispatch targets appear as their secret-free description.
 *
 * @example
 * new SignalBus({ name: 'app', middleware: [new LoggingMiddleware({ logger: new Logger('Bus') })] });
 */
export class LoggingMiddleware implements BusMiddleware {
  /** `'LoggingMiddleware'`. */
  readonly name = 'LoggingMiddleware';
  readonly #logger: BusLogger;
  readonly #level: BusLogLevel;
  readonly #context: string;
  readonly #logPublish: boolean;
  readonly #logDispatch: boolean;
  readonly #logErrors: boolean;
  readonly #includeData: boolean;
  readonly #max: number;

  constructor(options: LoggingMiddlewareOptions = {}) {
    this.#logger = options.logger ?? consoleBusLogger;
    const level = options.level ?? 'log';
    this.#level = (['log', 'debug', 'verbose', 'warn'] as const).includes(level) ? level : 'log';
    this.#context = options.context ?? 'SignalBus';
    this.#logPublish = options.logPublish ?? true;
    this.#logDispatch = options.logDispatch ?? true;
    this.#logErrors = options.logErrors ?? true;
    this.#includeData = options.includeData ?? false;
    const max = options.maxDataLength ?? 100;
    this.#max = Number.isInteger(max) && max > 0 ? max : 100;
  }

  /** Logs the publish (and each signal's data with `includeData`). */
  beforePublish(signals: readonly Signal[], context: PublishContext): void {
    if (!this.#logPublish) return;
    const types = [...new Set(signals.map((s) => s.type))];
    const listed =
      types.length > MAX_LISTED_TYPES
        ? `${types.slice(0, MAX_LISTED_TYPES).join(', ')}, … ${types.length - MAX_LISTED_TYPES} more`
        : types.join(', ');
    this.#write(`Bus ${context.bus}: publishing ${signals.length} signal(s) types=[${listed}]`);
    if (!this.#includeData) return;
    for (const s of signals) {
      this.#write(
        `Bus ${context.bus}:   signal id=${s.id} type=${s.type} data=${preview(s.data, this.#max)}`,
      );
    }
  }

  /** Logs the recorded count. */
  afterPublish(entries: readonly RecordedSignal[], context: PublishContext): void {
    if (this.#logPublish) this.#write(`Bus ${context.bus}: published ${entries.length} signal(s)`);
  }

  /** Logs the delivery about to happen. */
  beforeDispatch(signal: Signal, subscription: SubscriptionInfo, context: DispatchContext): void {
    if (!this.#logDispatch) return;
    this.#write(
      `Bus ${context.bus}: dispatching signal id=${signal.id} type=${signal.type} subscription=${subscription.id} pattern=${subscription.pattern} target=${subscription.target}`,
    );
  }

  /** Logs the delivery's outcome (failures at `error` level). */
  afterDispatch(
    signal: Signal,
    subscription: SubscriptionInfo,
    result: DeliveryResult,
    context: DispatchContext,
  ): void {
    const what = `signal id=${signal.id} type=${signal.type} subscription=${subscription.id}`;
    if (result.status === 'ok') {
      if (this.#logDispatch) this.#write(`Bus ${context.bus}: dispatched ${what}`);
      return;
    }
    if (!this.#logErrors) return;
    const error = result.error;
    const code = error instanceof SubscriberError ? error.reason : error.code;
    const cause: unknown = error instanceof SubscriberError ? error.cause : error;
    const message =
      cause instanceof Error ? cause.message : typeof cause === 'string' ? cause : error.message;
    const reason = message.length > this.#max ? `${message.slice(0, this.#max - 1)}…` : message;
    this.#logger.error(
      `Bus ${context.bus}: failed dispatch ${what} reason=${code}: ${reason}`,
      this.#context,
    );
  }

  #write(message: string): void {
    const logger = this.#logger;
    const context = this.#context;
    switch (this.#level) {
      case 'debug':
        if (logger.debug !== undefined) return void logger.debug(message, context);
        break;
      case 'verbose':
        if (logger.verbose !== undefined) return void logger.verbose(message, context);
        break;
      case 'warn':
        return void logger.warn(message, context);
      default:
        break;
    }
    logger.log(message, context);
  }
}
