import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
  Sse,
  UseFilters,
  UseGuards,
  UseInterceptors,
  type Type,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import { ValidationError } from '../core/errors/validation.error.js';
import { SignalBoardError } from './board.error.js';
import { SignalBoardAccessGuard } from './board-access.guard.js';
import { BoardCsrf, type BoardRequestHeaders } from './board-csrf.js';
import { SignalBoardExceptionFilter } from './board-exception.filter.js';
import { SignalBoardHeadersInterceptor, type BoardResponse } from './board-headers.interceptor.js';
import type { BoardMessageEvent } from './board-stream.js';
import { SignalBoardService, type SignalBoardReplayQuery } from './board.service.js';
import { BOARD_ASSETS } from './assets/index.js';
import { renderPage } from './assets/page.template.js';

/** The request fields the board reads (Express and Fastify requests both have them). */
interface BoardRequest extends BoardRequestHeaders {
  readonly url?: string;
  readonly originalUrl?: string;
  readonly protocol?: string;
  /** The connection (Express and Fastify requests both expose it). */
  readonly socket?: { readonly writableLength?: number };
}

/** Body of a DLQ action: some entries by id, or every entry with `all: true`. */
interface DlqActionBody {
  readonly ids?: readonly string[];
  readonly all?: boolean;
}

function actionIds(body: unknown): readonly string[] | undefined {
  const b = (body ?? {}) as DlqActionBody;
  const ids: unknown = typeof b === 'object' ? b.ids : undefined;
  if (typeof b === 'object' && b.all === true && ids === undefined) return undefined;
  // The service checks every id.
  if (Array.isArray(ids)) return ids as readonly string[];
  throw new ValidationError(
    'invalid_option',
    'body',
    'the body must be JSON { "ids": ["<entry id>", …] } or { "all": true }',
  );
}

/**
 * The board's routes under its mount path. Nest controllers take their path from
 * metadata written when the class is decorated, so each registration builds its own class
 * with its own `@Controller(path)` — no Nest internals are read or patched.
 * @internal
 */
export function createSignalBoardController(path: string): Type<unknown> {
  @Controller(path)
  @UseGuards(SignalBoardAccessGuard)
  @UseFilters(SignalBoardExceptionFilter)
  @UseInterceptors(SignalBoardHeadersInterceptor)
  class SignalBoardController {
    constructor(
      @Inject(SignalBoardService) private readonly board: SignalBoardService,
      @Inject(BoardCsrf) private readonly csrf: BoardCsrf,
    ) {}

    @Get()
    page(@Req() req: BoardRequest, @Res({ passthrough: true }) res: BoardResponse): string {
      const url = req.originalUrl ?? req.url ?? `/${path}`;
      const base = url.split(/[?#]/)[0].replace(/\/+$/, '');
      const session = this.csrf.session(req, req.protocol === 'https');
      if (session.setCookie !== undefined) res.header('Set-Cookie', session.setCookie);
      res.header('Content-Type', 'text/html; charset=utf-8');
      return renderPage({
        title: this.board.config.title,
        base,
        csrf: session.token,
        readOnly: this.board.config.readOnly,
      });
    }

    @Get('assets/:name')
    asset(@Param('name') name: string, @Res({ passthrough: true }) res: BoardResponse): string {
      const asset = Object.hasOwn(BOARD_ASSETS, name) ? BOARD_ASSETS[name] : undefined;
      if (asset === undefined) {
        throw new SignalBoardError('not_found', `No board asset "${name}"`);
      }
      res.header('Content-Type', asset.contentType);
      return asset.body;
    }

    @Get('api/overview')
    overview() {
      return this.board.overview();
    }

    @Get('api/buses/:bus/subscriptions/:subscription/dlq')
    dlq(@Param('bus') bus: string, @Param('subscription') subscription: string) {
      return this.board.dlq(bus, subscription);
    }

    @Post('api/buses/:bus/subscriptions/:subscription/dlq/redrive')
    @HttpCode(200)
    redrive(
      @Req() req: BoardRequest,
      @Param('bus') bus: string,
      @Param('subscription') subscription: string,
      @Body() body: unknown,
    ) {
      this.csrf.verify(req);
      return this.board.redrive(bus, subscription, actionIds(body));
    }

    @Post('api/buses/:bus/subscriptions/:subscription/dlq/delete')
    @HttpCode(200)
    delete(
      @Req() req: BoardRequest,
      @Param('bus') bus: string,
      @Param('subscription') subscription: string,
      @Body() body: unknown,
    ) {
      this.csrf.verify(req);
      return this.board.delete(bus, subscription, actionIds(body));
    }

    @Get('api/buses/:bus/trace/:id')
    trace(@Param('bus') bus: string, @Param('id') id: string) {
      return this.board.trace(bus, id);
    }

    @Get('api/buses/:bus/replay')
    replay(@Param('bus') bus: string, @Query() query: SignalBoardReplayQuery) {
      return this.board.replay(bus, query);
    }

    @Sse('api/buses/:bus/stream')
    stream(
      @Req() req: BoardRequest,
      @Param('bus') bus: string,
      @Query('pattern') pattern: string | undefined,
    ): Observable<BoardMessageEvent> {
      return this.board.stream(bus, pattern, () => req.socket?.writableLength ?? 0);
    }
  }
  return SignalBoardController;
}
