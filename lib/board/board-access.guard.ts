import {
  Inject,
  Injectable,
  type CanActivate,
  type ExecutionContext,
  type Type,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';
import type { SignalBoardConfig } from './board-config.js';
import { SIGNAL_BOARD_CONFIG } from './board.tokens.js';

/**
 * Runs the access decision of a board registration on every board request: the app's
 * `guard` (an instance, or a class created once through the module's injector) and its
 * `canActivate` function — both must allow — or nothing with `allowUnauthenticated: true`.
 * @internal
 */
@Injectable()
export class SignalBoardAccessGuard implements CanActivate {
  #guard: Promise<CanActivate> | undefined;

  constructor(
    @Inject(SIGNAL_BOARD_CONFIG) private readonly config: SignalBoardConfig,
    private readonly moduleRef: ModuleRef,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { guard, canActivate } = this.config;
    if (guard !== undefined) {
      const instance = await (this.#guard ??= this.#resolve(guard));
      const result = instance.canActivate(context);
      const allowed = isObservable(result) ? await lastValueFrom(result) : await result;
      if (allowed !== true) return false;
    }
    if (canActivate !== undefined && (await canActivate(context)) !== true) return false;
    return true;
  }

  async #resolve(guard: CanActivate | Type<CanActivate>): Promise<CanActivate> {
    if (typeof guard !== 'function') return guard;
    try {
      return this.moduleRef.get(guard, { strict: false });
    } catch {
      return this.moduleRef.create(guard);
    }
  }
}
