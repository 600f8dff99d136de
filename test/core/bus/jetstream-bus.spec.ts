// SignalBus over a JetStreamStore against the local NATS server (127.0.0.1:4222, JetStream): the
// distributed-bus scenarios (distributed-bus-scenarios.ts). Pins docs/jetstream.md.
import { expect } from '@jest/globals';
import { JetStreamStore } from '../../../lib/core/store/jetstream/jetstream.store.js';
import { consumerName } from '../../../lib/core/store/jetstream/subjects.js';
import { deleteTestStreams, NATS_URL, testPrefix } from '../../helpers/nats.js';
import { describeDistributedBus } from './distributed-bus-scenarios.js';

describeDistributedBus<JetStreamStore>({
  title: 'SignalBus on JetStreamStore',
  prefix: testPrefix('bus'),
  busPrefix: 'jb',
  connect: (prefix) => JetStreamStore.connect({ servers: NATS_URL, prefix }),
  cleanup: (prefix) => deleteTestStreams(prefix),
  async expectSettledOnServer(store, bus, subscriptionIds) {
    const { connect } = await import('@nats-io/transport-node');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await jetstreamManager(nc);
      for (const id of subscriptionIds) {
        const info = await jsm.consumers.info(store.logStreamName(bus), consumerName(id));
        expect(info.num_pending).toBe(0);
        expect(info.num_ack_pending).toBe(0);
        expect(info.num_redelivered).toBe(0);
      }
    } finally {
      await nc.close();
    }
  },
});
