/**
 * Attribute, span and metric names: the OpenTelemetry semantic conventions for messaging
 * (semconv 1.27+, where the operation type `publish` became `send`), plus `jido_signal.*`
 * names for what the conventions do not cover.
 */
export const OtelAttr = {
  /** `messaging.system` — always {@link MESSAGING_SYSTEM}. */
  System: 'messaging.system',
  /** `messaging.operation.type`: `send`, `process` or `settle`. */
  OperationType: 'messaging.operation.type',
  /** `messaging.operation.name`: `publish`, `process`, `ack`, `retry`, `dead_letter`, `nack`. */
  OperationName: 'messaging.operation.name',
  /** `messaging.destination.name`: the bus name. */
  DestinationName: 'messaging.destination.name',
  /** `messaging.consumer.group.name`: the subscription id. */
  ConsumerGroup: 'messaging.consumer.group.name',
  /** `messaging.message.id`: the signal id (spans only, never metrics). */
  MessageId: 'messaging.message.id',
  /** `messaging.message.conversation_id`: the signal's `correlationid`. */
  ConversationId: 'messaging.message.conversation_id',
  /** `messaging.batch.message_count`: signals in one publish. */
  BatchCount: 'messaging.batch.message_count',
  /** `error.type`: an error's stable `code`. */
  ErrorType: 'error.type',
  /** The CloudEvents type of the signal (spans only). */
  SignalType: 'jido_signal.signal.type',
  /** The log position of a delivered signal (spans only). */
  LogId: 'jido_signal.log_id',
  /** How a persistent delivery was settled: `ack`, `retry`, `dead_letter`, `nack`. */
  Settlement: 'jido_signal.settlement',
  /** Dispatch adapter name (`http`, `webhook`). */
  Adapter: 'jido_signal.dispatch.adapter',
  /** `http.request.method`. */
  HttpMethod: 'http.request.method',
  /** `http.response.status_code`. */
  HttpStatus: 'http.response.status_code',
  /** `url.full` — scheme, host, port and path only: never the query, never credentials. */
  UrlFull: 'url.full',
  /** `server.address`. */
  ServerAddress: 'server.address',
  /** `server.port`. */
  ServerPort: 'server.port',
  /** `http.request.resend_count`: retries made before the final outcome. */
  ResendCount: 'http.request.resend_count',
} as const;

/** Value of `messaging.system` on every span and metric. */
export const MESSAGING_SYSTEM = 'jido_signal';

/** Name of the tracer and meter (the instrumentation scope). */
export const INSTRUMENTATION_SCOPE = 'nestjs-jido-signal';

/** Metric names. */
export const OtelMetric = {
  /** Counter: signals recorded by a bus (`messaging.client.sent.messages`). */
  Sent: 'messaging.client.sent.messages',
  /** Counter: deliveries to subscriptions that finished (`messaging.client.consumed.messages`). */
  Consumed: 'messaging.client.consumed.messages',
  /** Histogram (s): delivery (handler) duration (`messaging.process.duration`). */
  ProcessDuration: 'messaging.process.duration',
  /** Counter: retries scheduled (persistent redeliveries, HTTP/webhook resends). */
  Retries: 'jido_signal.delivery.retries',
  /** Counter: signals dead-lettered. */
  DeadLettered: 'jido_signal.delivery.dead_lettered',
  /** Gauge: entries in a persistent subscription's DLQ. */
  DlqDepth: 'jido_signal.dlq.depth',
  /** Gauge: deliveries handed over and not settled yet, per subscription. */
  InFlight: 'jido_signal.subscription.in_flight',
  /** Gauge: circuits not closed (open or half-open), per adapter. */
  OpenCircuits: 'jido_signal.circuit.open',
} as const;

/** Value used for an attribute once its cardinality cap is reached. */
export const OTHER = '_other';

/**
 * Caps the distinct values of one metric attribute: the first `max` values pass, later ones
 * become {@link OTHER}, so a runaway set of subscription ids cannot blow up a metrics backend.
 */
export class CardinalityCap {
  readonly #seen = new Set<string>();

  constructor(readonly max: number) {}

  /** `value` when it is known or there is room; otherwise {@link OTHER}. */
  value(value: string): string {
    if (this.#seen.has(value)) return value;
    if (this.#seen.size >= this.max) return OTHER;
    this.#seen.add(value);
    return value;
  }
}
