import { Injectable } from '@nestjs/common';
import { OnSignal, SignalPayload, type Signal } from 'nestjs-jido-signal';

/** An ordinary (in-memory, at-most-once) handler on a wildcard pattern. */
@Injectable()
export class UsersListener {
  readonly seen: string[] = [];

  @OnSignal('user.*')
  onUser(@SignalPayload() signal: Signal): void {
    this.seen.push(signal.type);
  }
}
