export {
  createTestSignalFactory,
  sequentialIds,
  type SequentialIdsOptions,
} from './test-signals.js';
export {
  describeSignalStoreConformance,
  type ConformanceOptions,
  type ConformanceTestApi,
} from './store-conformance.js';
export {
  SignalSpy,
  type SpiedDelivery,
  type SpyFilter,
  type WaitForOptions,
} from './signal-spy.js';
export {
  describeJournalAdapterConformance,
  type JournalConformanceOptions,
} from './journal-conformance.js';
export {
  FakeAdapter,
  FakeAdapters,
  type FakeAdapterOptions,
  type FakeDelivery,
} from './fake-adapter.js';
export { TestClock, type TestClockOptions } from './test-clock.js';
export {
  JidoSignalTestingModule,
  type JidoSignalTestingModuleOptions,
} from './jido-signal-testing.module.js';
