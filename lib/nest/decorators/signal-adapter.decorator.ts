import { Injectable, SetMetadata, applyDecorators } from '@nestjs/common';
import { SIGNAL_ADAPTER_METADATA } from '../jido-signal.constants.js';

/**
 * Register an injectable class as a dispatch adapter named `name` in the application's
 * `Dispatcher` (during `onModuleInit`, before any handler subscribes). The class implements
 * `validateOptions(options)` and `deliver(signal, options, context)` (optionally
 * `healthCheck`, `describeTarget`); its lifecycle stays Nest's (the dispatcher never calls
 * its `close`). Add the class to a module's `providers`.
 *
 * @example
 * @SignalAdapter('audit-log')
 * export class AuditLogAdapter implements DispatchAdapter<{ table: string }> {
 *   readonly name = 'audit-log';
 *   constructor(private readonly db: Db) {}
 *   validateOptions(o: Readonly<Record<string, unknown>>) { return { table: String(o.table) }; }
 *   async deliver(signal: Signal, o: { table: string }) { await this.db.insert(o.table, signal.toJSON()); }
 * }
 */
export function SignalAdapter(name: string): ClassDecorator {
  return applyDecorators(SetMetadata(SIGNAL_ADAPTER_METADATA, name), Injectable());
}
