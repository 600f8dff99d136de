import { Module, type DynamicModule } from '@nestjs/common';
import { SignalBoardAccessGuard } from './board-access.guard.js';
import { resolveBoardOptions } from './board-config.js';
import { createSignalBoardController } from './board.controller.js';
import { BoardCsrf } from './board-csrf.js';
import type { SignalBoardOptions } from './board-options.interface.js';
import { SignalBoardService } from './board.service.js';
import { SIGNAL_BOARD_CONFIG } from './board.tokens.js';

/**
 * The signal board: one web page at a path of the app to watch and operate its buses —
 * subscriptions with live counters and health, a live (sampled) stream of signals, the
 * DLQs with redrive and delete, causality traces and replays. Works with the Express and
 * Fastify adapters and every store, through the bus API only. Import it next to
 * `JidoSignalModule.forRoot()`:
 *
 * ```ts fragment
 * JidoSignalBoardModule.forRoot({ path: 'ops/signals', guard: AdminGuard })
 * ```
 */
@Module({})
export class JidoSignalBoardModule {
  /**
   * Mount a board.
   * @throws SignalBoardError (code `'invalid_option'`) without an access decision —
   *   `guard`, `canActivate` or `allowUnauthenticated: true` — or for a bad option
   */
  static forRoot(options: SignalBoardOptions): DynamicModule {
    const config = resolveBoardOptions(options);
    return {
      module: JidoSignalBoardModule,
      controllers: [createSignalBoardController(config.path)],
      providers: [
        { provide: SIGNAL_BOARD_CONFIG, useValue: config },
        { provide: BoardCsrf, useValue: new BoardCsrf(config.path) },
        SignalBoardService,
        SignalBoardAccessGuard,
      ],
    };
  }
}
