import type {
  CanActivate,
  ExecutionContext,
  InjectionToken,
  ModuleMetadata,
  OptionalFactoryDependency,
  Type,
} from '@nestjs/common';
import type { CircuitBreaker } from '../core/dispatch/circuit-breaker.js';
import type { SignalJournal } from '../core/journal/signal-journal.js';
import type { Signal } from '../core/signal/signal.js';

/** A function deciding whether a request may use the board (see {@link SignalBoardOptions.canActivate}). */
export type SignalBoardAccessFunction = (context: ExecutionContext) => boolean | Promise<boolean>;

/** A function replacing a signal's data before it leaves the server (see {@link SignalBoardOptions.maskData}). */
export type SignalBoardMaskFunction = (data: unknown, signal: Signal) => unknown;

/** How the live stream is sampled server-side (see {@link SignalBoardOptions.stream}). */
export interface SignalBoardStreamOptions {
  /**
   * How often a connected page receives a batch of signals, in ms. Signals arriving in
   * between are coalesced into one Server-Sent Event.
   * @default 250
   */
  flushIntervalMs?: number;
  /**
   * Largest number of signals sent per batch: beyond it only the newest are kept and the
   * batch reports how many were dropped. Bounds the server's memory per connected page
   * and the page's work at any publish rate.
   * @default 40
   */
  maxSignalsPerFlush?: number;
  /**
   * Largest number of pages streaming at once; a further stream request gets 503.
   * @default 16
   */
  maxStreams?: number;
}

/** Options of `JidoSignalBoardModule.forRoot`. */
export interface SignalBoardOptions {
  /**
   * Where the board is mounted, relative to the app (and its global prefix): the page is
   * served at `/<path>`, its assets and JSON API under `/<path>/…`.
   * @default 'board'
   */
  path?: string;
  /**
   * A Nest guard (an instance, or a class the module instantiates with its dependencies
   * injected) deciding who may use the board. Returning `false` answers 403; a guard may
   * throw `UnauthorizedException` for 401. One of `guard`, `canActivate` or
   * `allowUnauthenticated: true` is required.
   * @default undefined
   */
  guard?: CanActivate | Type<CanActivate>;
  /**
   * A function deciding who may use the board (like a guard's `canActivate`); `false`
   * answers 403.
   * @default undefined
   */
  canActivate?: SignalBoardAccessFunction;
  /**
   * Serve the board to anyone who can reach it. Meant for local development only; the
   * module refuses to start without this or an access decision (`guard`, `canActivate`).
   * @default false
   */
  allowUnauthenticated?: boolean;
  /**
   * Hide every action (redrive, delete) and refuse their requests with 403: a board to
   * watch, not to operate.
   * @default false
   */
  readOnly?: boolean;
  /**
   * Replaces each signal's data before it is sent to the page (stream, replay, DLQ, trace).
   * Whatever it returns is then sanitized like everything else the board sends: values
   * under credential-like keys (`password`, `token`, `authorization`, `*_secret`, …) become
   * `'[REDACTED]'`, long strings and deep objects are cut.
   * @default undefined (data sent as published, sanitized)
   */
  maskData?: SignalBoardMaskFunction;
  /**
   * Buses shown, by name.
   * @default every bus of the application's JidoSignalModule
   */
  buses?: readonly string[];
  /**
   * Journal for causality traces of buses that have none of their own (`bus.journal`).
   * @default undefined (each bus's own journal; traces unavailable without one)
   */
  journal?: SignalJournal;
  /**
   * Circuit breakers whose circuits are shown (open circuits are a health problem), e.g.
   * the `circuitBreaker` given to the http or webhook adapter.
   * @default []
   */
  circuitBreakers?: readonly CircuitBreaker[];
  /**
   * Server-side sampling of the live stream.
   * @default { flushIntervalMs: 250, maxSignalsPerFlush: 40, maxStreams: 16 }
   */
  stream?: SignalBoardStreamOptions;
  /**
   * Most signals a replay returns.
   * @default 500
   */
  maxReplay?: number;
  /**
   * Title of the page.
   * @default 'Signal board'
   */
  title?: string;
}

/**
 * Options of `JidoSignalBoardModule.forRootAsync`: the mount path is fixed when the module is
 * registered (Nest routes are static); everything else comes from a factory with injected
 * dependencies, checked when the application starts (it does not start without an access
 * decision).
 */
export interface SignalBoardAsyncOptions {
  /** See {@link SignalBoardOptions.path}. @default 'board' */
  path?: string;
  /** Modules whose providers the factory injects. @default [] */
  imports?: ModuleMetadata['imports'];
  /** Tokens passed to `useFactory`, in order. @default [] */
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  /** Returns the options (all but `path`), maybe asynchronously. Required. */
  useFactory(
    ...args: unknown[]
  ): Omit<SignalBoardOptions, 'path'> | Promise<Omit<SignalBoardOptions, 'path'>>;
}
