import { Injectable, SetMetadata, applyDecorators } from '@nestjs/common';
import { SIGNAL_MIDDLEWARE_METADATA } from '../jido-signal.constants.js';
import type { SignalMiddlewareOptions } from '../jido-signal-options.interface.js';

/**
 * Register an injectable class implementing `BusMiddleware` (`beforePublish`,
 * `afterPublish`, `beforeDispatch`, `afterDispatch`) on one bus or every bus, after the
 * middleware from the module options, ordered by `order`. Added during `onModuleInit`.
 *
 * @example
 * @SignalMiddleware({ bus: 'default', order: 10 })
 * export class TenantMiddleware implements BusMiddleware {
 *   readonly name = 'tenant';
 *   constructor(private readonly tenants: TenantService) {}
 *   beforePublish(signals: readonly Signal[]) {
 *     return { action: 'continue' as const, signals: signals.map((s) => s.withExtension('tenant', this.tenants.current())) };
 *   }
 * }
 */
export function SignalMiddleware(options: SignalMiddlewareOptions = {}): ClassDecorator {
  return applyDecorators(SetMetadata(SIGNAL_MIDDLEWARE_METADATA, { ...options }), Injectable());
}
