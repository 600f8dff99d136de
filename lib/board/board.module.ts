import { Module, type DynamicModule } from '@nestjs/common';
import { SignalBoardAccessGuard } from './board-access.guard.js';
import { resolveBoardOptions, resolveBoardPath } from './board-config.js';
import { createSignalBoardController } from './board.controller.js';
import { BoardCsrf } from './board-csrf.js';
import type { SignalBoardAsyncOptions, SignalBoardOptions } from './board-options.interface.js';
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

  /**
   * Mount a board whose options come from a factory (a `ConfigService`, a guard from DI, …).
   * The path is checked now; the other options when the application starts, which fails
   * without an access decision.
   * @throws SignalBoardError (code `'invalid_option'`) for a bad `path` (now) or bad
   *   options (at bootstrap)
   */
  static forRootAsync(options: SignalBoardAsyncOptions): DynamicModule {
    const path = resolveBoardPath(options.path);
    return {
      module: JidoSignalBoardModule,
      imports: options.imports ?? [],
      controllers: [createSignalBoardController(path)],
      providers: [
        {
          provide: SIGNAL_BOARD_CONFIG,
          useFactory: async (...args: unknown[]) =>
            resolveBoardOptions({ ...(await options.useFactory(...args)), path }),
          inject: options.inject ?? [],
        },
        { provide: BoardCsrf, useValue: new BoardCsrf(path) },
        SignalBoardService,
        SignalBoardAccessGuard,
      ],
    };
  }
}
