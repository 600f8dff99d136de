// JidoSignalModule with store { type: 'jetstream' } against the local NATS server
// (127.0.0.1:4222): the Nest scenarios of every distributed engine (nest-distributed-scenarios.ts),
// the health one on a private nats-server on a free port.
import { JetStreamStore } from '../../lib/core/store/jetstream/jetstream.store.js';
import {
  NATS_URL,
  deleteTestStreams,
  freePort,
  startServer,
  stopServer,
  testPrefix,
} from '../helpers/nats.js';
import { describeNestEngine, privateServer } from './nest-distributed-scenarios.js';

describeNestEngine({
  type: 'jetstream',
  storeClass: JetStreamStore,
  prefix: testPrefix,
  store: (prefix, servers = NATS_URL) => ({ type: 'jetstream', servers, prefix }),
  cleanup: (prefix) => deleteTestStreams(prefix),
  unreachableUrl: async () => `nats://user:s3cret@127.0.0.1:${await freePort()}`,
  reconnectTimeWait: 100,
  async privateServer(dir) {
    const port = await freePort();
    return privateServer(`nats://127.0.0.1:${port}`, () => startServer(port, dir), stopServer);
  },
});
