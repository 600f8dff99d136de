// One bus over JetStream across 3 Node processes against the local NATS server
// (127.0.0.1:4222): the multi-process scenarios (multiprocess-scenarios.ts).
import { JetStreamStore } from '../../lib/core/store/jetstream/jetstream.store.js';
import { consumerName } from '../../lib/core/store/jetstream/subjects.js';
import { deleteTestStreams, NATS_URL, testPrefix } from '../helpers/nats.js';
import { describeMultiprocess } from './multiprocess-scenarios.js';

describeMultiprocess<JetStreamStore>({
  title: 'one bus over JetStream across 3 Node processes',
  worker: 'jetstream',
  tmpPrefix: 'jido-mp-',
  killDelayMs: 20,
  setUp: () => Promise.resolve({ url: NATS_URL, prefix: testPrefix('mp') }),
  connect: (url, prefix) => JetStreamStore.connect({ servers: url, prefix }),
  tearDown: (prefix) => deleteTestStreams(prefix),
  async unsettled(store, url, bus, subscriptionId) {
    const { connect } = await import('@nats-io/transport-node');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const nc = await connect({ servers: url });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.consumers.info(store.logStreamName(bus), consumerName(subscriptionId));
      return [info.num_pending, info.num_ack_pending];
    } finally {
      await nc.close();
    }
  },
});
