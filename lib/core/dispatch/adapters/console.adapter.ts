import type { Signal } from '../../signal/signal.js';
import type { DeliveryContext, DispatchAdapter } from '../adapter.interface.js';
import { preview, sanitize } from '../sanitize.js';
import { optionalBoolean, optionalEnum, rejectUnknownKeys } from './options.js';

/** Where console output goes: anything with `write(text)` (a `process.stdout`-like stream). */
export interface TextSink {
  /** Writes a chunk of text. */
  write(text: string): unknown;
  /** Whether the sink is a terminal (decides the `colors` default). */
  readonly isTTY?: boolean;
}

/** Output format of the `console` adapter. */
export type ConsoleFormat = 'pretty' | 'compact' | 'json';

/** Options of the `console` adapter: `{ adapter: 'console', ... }`. */
export interface ConsoleDispatchOptions {
  /**
   * `'pretty'`: a header line and indented fields; `'compact'`: one line with a bounded
   * data preview; `'json'`: one line of CloudEvents JSON.
   * @default 'pretty'
   */
  format?: ConsoleFormat;
  /** ANSI colors (ignored for `'json'`). @default true when the stream is a TTY and `NO_COLOR` is unset */
  colors?: boolean;
  /** Output stream. @default 'stdout' */
  stream?: 'stdout' | 'stderr';
  /** Print the data (secrets redacted). @default true */
  includeData?: boolean;
}

/** Validated options of the `console` adapter. */
export interface NormalizedConsoleOptions {
  /** Output format. */
  readonly format: ConsoleFormat;
  /** ANSI colors. */
  readonly colors: boolean;
  /** Output stream. */
  readonly stream: 'stdout' | 'stderr';
  /** Whether data is printed. */
  readonly includeData: boolean;
}

/** Streams of {@link ConsoleAdapter} (tests pass their own). */
export interface ConsoleStreams {
  /** @default process.stdout */
  stdout?: TextSink;
  /** @default process.stderr */
  stderr?: TextSink;
}

const CONSOLE_KEYS: ReadonlySet<string> = new Set(['format', 'colors', 'stream', 'includeData']);
const FORMATS: readonly ConsoleFormat[] = ['pretty', 'compact', 'json'];
const STREAMS: readonly ('stdout' | 'stderr')[] = ['stdout', 'stderr'];

const plain = (text: string): string => text;
const bold = (text: string): string => `\x1b[1m${text}\x1b[22m`;
const cyan = (text: string): string => `\x1b[36m${text}\x1b[39m`;
const dim = (text: string): string => `\x1b[2m${text}\x1b[22m`;

/** Prints signals to stdout/stderr for development and debugging; secrets in data are redacted. */
export class ConsoleAdapter implements DispatchAdapter<NormalizedConsoleOptions> {
  /** `'console'`. */
  readonly name = 'console';
  readonly #streams: ConsoleStreams;

  /** @param streams output streams @default `process.stdout` / `process.stderr` */
  constructor(streams: ConsoleStreams = {}) {
    this.#streams = streams;
  }

  /** @throws DispatchConfigError naming the bad option */
  validateOptions(options: Readonly<Record<string, unknown>>): NormalizedConsoleOptions {
    rejectUnknownKeys(this.name, options, CONSOLE_KEYS);
    const stream = optionalEnum(this.name, 'stream', options.stream, STREAMS, 'stdout');
    const autoColors = this.#sink(stream).isTTY === true && process.env.NO_COLOR === undefined;
    return {
      format: optionalEnum(this.name, 'format', options.format, FORMATS, 'pretty'),
      colors: optionalBoolean(this.name, 'colors', options.colors, autoColors),
      stream,
      includeData: optionalBoolean(this.name, 'includeData', options.includeData, true),
    };
  }

  /** Writes the signal. */
  deliver(signal: Signal, options: NormalizedConsoleOptions, _context: DeliveryContext): void {
    this.#sink(options.stream).write(render(signal, options));
  }

  /** The stream name. */
  describeTarget(options: NormalizedConsoleOptions): string {
    return options.stream;
  }

  #sink(stream: 'stdout' | 'stderr'): TextSink {
    return this.#streams[stream] ?? process[stream];
  }
}

function render(signal: Signal, options: NormalizedConsoleOptions): string {
  const now = new Date().toISOString();
  if (options.format === 'json') {
    const json = sanitize(signal) as Record<string, unknown>;
    if (!options.includeData) delete json.data;
    return `${JSON.stringify(json)}\n`;
  }
  const c = options.colors ? { bold, cyan, dim } : { bold: plain, cyan: plain, dim: plain };
  if (options.format === 'compact') {
    let line = `${c.dim(`[${now}]`)} ${c.bold(c.cyan(signal.type))} id=${signal.id} source=${signal.source}`;
    if (signal.subject !== undefined) line += ` subject=${signal.subject}`;
    if (options.includeData && signal.data !== undefined) line += ` data=${preview(signal.data)}`;
    return `${line}\n`;
  }
  const lines = [`${c.dim(`[${now}]`)} ${c.bold('SIGNAL')} ${c.bold(c.cyan(signal.type))}`];
  const field = (name: string, value: string): void => {
    lines.push(`  ${c.dim(`${name}:`.padEnd(9))}${value}`);
  };
  field('id', signal.id);
  field('source', signal.source);
  if (signal.subject !== undefined) field('subject', signal.subject);
  if (signal.time !== undefined) field('time', signal.time);
  if (signal.data !== undefined) {
    field(
      'data',
      options.includeData
        ? (JSON.stringify(sanitize(signal.data), null, 2) ?? 'undefined').replace(/\n/g, '\n  ')
        : '[omitted]',
    );
  }
  return `${lines.join('\n')}\n`;
}
