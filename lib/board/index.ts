export { JidoSignalBoardModule } from './board.module.js';
export { SignalBoardError } from './board.error.js';
export { BOARD_CSRF_HEADER } from './board-csrf.js';
export { BOARD_CSP } from './board-headers.interceptor.js';
export type {
  SignalBoardOptions,
  SignalBoardAsyncOptions,
  SignalBoardStreamOptions,
  SignalBoardAccessFunction,
  SignalBoardMaskFunction,
} from './board-options.interface.js';
export type {
  SignalBoardOverview,
  SignalBoardBus,
  SignalBoardHealth,
  SignalBoardSubscription,
  SignalBoardPartition,
  SignalBoardDlqEntry,
  SignalBoardTrace,
  SignalBoardTraceNode,
} from './board-types.js';
export type { SignalView } from './board-view.js';
export type { SignalBoardBatch } from './board-stream.js';
