// Pure rules of the JetStream engine under cluster faults (no server needed): which errors are
// transient, where retention may cut a log for one durable consumer, and the duplicate window
// a max age forces. The cluster suite (test/integration/jetstream-cluster/) proves them live.
import { describe, expect, it } from '@jest/globals';
import type { ConsumerInfo, StreamConfig } from '@nats-io/jetstream';
import { isTransientClusterError } from '../../../lib/core/nats/cluster-errors.js';
import { consumerFloor } from '../../../lib/core/store/jetstream/retention.js';
import { configMismatches, fitDuplicateWindow } from '../../../lib/core/nats/stream-config.js';

function named(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  const error = new Error(message);
  error.name = name;
  return Object.assign(error, extra);
}

function consumer(p: {
  ackFloor: number;
  delivered: number;
  pending: number;
  ackPending: number;
}): ConsumerInfo {
  return {
    ack_floor: { stream_seq: p.ackFloor, consumer_seq: 0 },
    delivered: { stream_seq: p.delivered, consumer_seq: 0 },
    num_pending: p.pending,
    num_ack_pending: p.ackPending,
  } as unknown as ConsumerInfo;
}

describe('isTransientClusterError', () => {
  it('election and timeout failures are transient; refusals and non-errors are not', () => {
    expect(isTransientClusterError(named('JetStreamNotEnabled', 'jetstream is not enabled'))).toBe(
      true,
    );
    expect(isTransientClusterError(named('TimeoutError', 'timeout'))).toBe(true);
    expect(isTransientClusterError(named('Error', 'no responders available'))).toBe(true);
    expect(
      isTransientClusterError(
        named('JetStreamApiError', 'JetStream system temporarily unavailable', { status: 503 }),
      ),
    ).toBe(true);
    expect(
      isTransientClusterError(
        named('JetStreamApiError', 'maximum messages exceeded', { status: 400 }),
      ),
    ).toBe(false);
    expect(isTransientClusterError(named('JetStreamApiError', 'stream not found'))).toBe(false);
    expect(isTransientClusterError('timeout')).toBe(false);
  });
});

describe('consumerFloor (retention may cut up to and including it)', () => {
  it('with deliveries awaiting an ack: the ack floor', () => {
    expect(
      consumerFloor(consumer({ ackFloor: 10, delivered: 40, pending: 5, ackPending: 3 }), 100),
    ).toBe(10);
  });
  it('nothing outstanding, more to deliver: everything delivered so far', () => {
    expect(
      consumerFloor(consumer({ ackFloor: 10, delivered: 40, pending: 5, ackPending: 0 }), 100),
    ).toBe(40);
  });
  it('nothing outstanding, nothing left (a filter that matches nothing new): the whole log', () => {
    expect(
      consumerFloor(consumer({ ackFloor: 0, delivered: 0, pending: 0, ackPending: 0 }), 100),
    ).toBe(100);
  });
  it('a fresh consumer from the origin that has delivered nothing holds everything', () => {
    expect(
      consumerFloor(consumer({ ackFloor: 0, delivered: 0, pending: 100, ackPending: 0 }), 100),
    ).toBe(0);
  });
});

describe('fitDuplicateWindow', () => {
  const s = 1e9;
  const fit = (c: Partial<StreamConfig>): number | undefined =>
    fitDuplicateWindow(c).duplicate_window;
  it('lowers the window to a max age shorter than it (the server refuses a longer window)', () => {
    expect(fit({ max_age: 60 * s })).toBe(60 * s);
    expect(fit({ max_age: 60 * s, duplicate_window: 120 * s })).toBe(60 * s);
  });
  it('leaves it alone without a max age or when it already fits', () => {
    expect(fit({ max_age: 0 })).toBeUndefined();
    expect(fit({ max_age: 600 * s })).toBeUndefined();
    expect(fit({ max_age: 60 * s, duplicate_window: 10 * s })).toBe(10 * s);
  });
});

describe('configMismatches', () => {
  it('compares only the listed fields, with server defaults for absent ones', () => {
    const server = { name: 'S', num_replicas: 3, max_msgs: -1 } as never;
    expect(
      configMismatches(server, { num_replicas: 1, max_msgs: -1, max_age: 0 }, [
        'max_msgs',
        'max_age',
      ]),
    ).toEqual([]);
    expect(configMismatches(server, { num_replicas: 1 }, ['num_replicas'])).toEqual([
      { field: 'num_replicas', server: 3, requested: 1 },
    ]);
  });
});
