// Inspect a FileJournal directory: `npm run journal -- <command> ...` (see USAGE).
// Opens the journal read-only, so it is safe to run against a journal a live process writes.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { JidoSignalError } from '../lib/core/errors/jido-signal.error.js';
import {
  FileJournal,
  formatTrace,
  SignalJournal,
  type TraceDirection,
  type TraceStep,
} from '../lib/core/journal/index.js';
import type { Signal } from '../lib/core/signal/signal.js';

const USAGE = `Usage:
  npm run journal -- trace <id> --dir <journal dir> [--direction effects|causes|both] [--depth n] [--json]
  npm run journal -- query --dir <journal dir> [--type pattern] [--source s] [--subject s]
                           [--since time] [--until time] [--limit n] [--order asc|desc] [--json]
  npm run journal -- conversation <correlationId> --dir <journal dir> [--json]

trace         the cause/effect tree around a signal (default direction: both)
query         signals by type pattern, source, subject and time range (times: ISO 8601 or ms)
conversation  every signal of a conversation (correlation id), oldest first

Exit status: 0 ok, 1 not found or journal error, 2 usage error.`;

/** Where the CLI writes. */
export interface CliIo {
  /** Standard output, one line per call. */
  out(line: string): void;
  /** Standard error, one line per call. */
  err(line: string): void;
}

class UsageError extends Error {}

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`--${name} must be a non-negative integer`);
  return n;
}

function time(name: string, value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  return /^\d+$/.test(value) ? Number(value) : value;
}

function signalLine(s: Signal): string {
  const subject = s.subject === undefined ? '' : `  subject=${s.subject}`;
  return `${s.time ?? '-'}  ${s.type}  ${s.id}  ${s.source}${subject}`;
}

function stepJson(s: TraceStep): Record<string, unknown> {
  return {
    relation: s.relation,
    depth: s.depth,
    causeId: s.causeId,
    conversationId: s.conversationId,
    recordedAt: new Date(s.recordedAt).toISOString(),
    signal: s.signal.toJSON(),
  };
}

/**
 * Run the journal CLI with `argv` (without `node` and the script).
 * @returns the exit status
 */
export async function runJournalCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        dir: { type: 'string' },
        direction: { type: 'string' },
        depth: { type: 'string' },
        type: { type: 'string' },
        source: { type: 'string' },
        subject: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        limit: { type: 'string' },
        order: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, arg] = positionals;
  if (values.help === true || command === undefined) {
    if (values.help === true) {
      io.out(USAGE);
      return 0;
    }
    io.err(USAGE);
    return 2;
  }
  let journal: SignalJournal | undefined;
  try {
    if (!['trace', 'query', 'conversation'].includes(command)) {
      throw new UsageError(`Unknown command "${command}"`);
    }
    if (values.dir === undefined) throw new UsageError('--dir <journal dir> is required');
    if (command !== 'query' && arg === undefined) {
      throw new UsageError(
        `${command} needs ${command === 'trace' ? 'a signal id' : 'a correlation id'}`,
      );
    }
    const adapter = await FileJournal.open(values.dir, { readOnly: true });
    if (adapter.recovery !== undefined) {
      const r = adapter.recovery;
      io.err(
        `warning: ${r.segment} has a damaged tail at offset ${r.offset} (${r.reason}, ${r.droppedBytes} bytes ignored)`,
      );
    }
    journal = new SignalJournal({ adapter });
    if (command === 'trace') {
      const direction = (values.direction ?? 'both') as TraceDirection;
      if (!['effects', 'causes', 'both'].includes(direction)) {
        throw new UsageError('--direction must be effects, causes or both');
      }
      const steps = await journal.traceChain(arg, {
        direction,
        depth: integer('depth', values.depth),
      });
      if (values.json === true) io.out(JSON.stringify(steps.map(stepJson), null, 2));
      else {
        io.out(
          `Signal flow for ${arg} (${steps.length} signal${steps.length === 1 ? '' : 's'}, direction ${direction}):`,
        );
        io.out(formatTrace(steps));
      }
    } else {
      const order = values.order;
      if (order !== undefined && order !== 'asc' && order !== 'desc') {
        throw new UsageError('--order must be asc or desc');
      }
      const signals =
        command === 'query'
          ? await journal.query({
              type: values.type,
              source: values.source,
              subject: values.subject,
              since: time('since', values.since),
              until: time('until', values.until),
              limit: integer('limit', values.limit),
              order,
            })
          : await journal.conversation(arg);
      if (values.json === true)
        io.out(
          JSON.stringify(
            signals.map((s) => s.toJSON()),
            null,
            2,
          ),
        );
      else if (signals.length === 0) io.err('no signals');
      else for (const s of signals) io.out(signalLine(s));
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof JidoSignalError) {
      io.err(`error [${error.code}]: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await journal?.close();
  }
}

const invokedDirectly =
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invokedDirectly) {
  process.exitCode = await runJournalCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
}
