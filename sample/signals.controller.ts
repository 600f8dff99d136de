import { BadRequestException, Controller, Get, Param, Query, UseFilters } from '@nestjs/common';
import { InjectSignalBus, type SignalBus } from '../lib/index.js';
import { AuditService, type AuditEntry } from './audit.service.js';
import { SignalErrorFilter } from './signal-error.filter.js';
import { TraceService, type TraceView } from './trace.js';

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new BadRequestException(`${name} must be a positive integer`);
  return n;
}

/** The bus log, causality traces of any signal, and the audit handler's record. */
@Controller()
@UseFilters(SignalErrorFilter)
export class SignalsController {
  constructor(
    @InjectSignalBus() private readonly bus: SignalBus,
    private readonly traces: TraceService,
    private readonly audit: AuditService,
  ) {}

  /** Replays the log: `/signals?pattern=payment.**&limit=10`. */
  @Get('signals')
  async replay(@Query('pattern') pattern = '**', @Query('limit') limit?: string) {
    const entries = await this.bus.replay(pattern, { limit: positiveInt('limit', limit) });
    return entries.map((e) => ({ logId: e.logId, signal: e.signal }));
  }

  /** `/signals/:id/trace?direction=both` — causes up to the root, then every effect. */
  @Get('signals/:id/trace')
  trace(@Param('id') id: string, @Query('direction') direction = 'effects'): Promise<TraceView> {
    if (direction !== 'effects' && direction !== 'both') {
      throw new BadRequestException('direction must be "effects" or "both"');
    }
    return this.traces.trace(id, direction);
  }

  @Get('audit')
  recent(@Query('limit') limit?: string): AuditEntry[] {
    return this.audit.recent(positiveInt('limit', limit));
  }
}
