import { DispatchConfigError } from '../errors/dispatch.error.js';
import { receiverKind, watchReceiver, type SignalReceiver } from './receiver.js';

/**
 * Looks a receiver up by name when nothing is registered under it (the Nest layer
 * resolves DI providers this way). Return `undefined` when the name is unknown.
 */
export type ReceiverResolver = (name: string) => SignalReceiver | undefined;

/**
 * Named in-process receivers for the `named` adapter — the counterpart of Erlang's
 * registered process names. A name is looked up at delivery time, so a receiver can be
 * registered after the configs that name it; a name nobody registered (and no resolver
 * knows) makes the delivery fail with `process_not_found`.
 */
export class ReceiverRegistry {
  readonly #receivers = new Map<string, SignalReceiver>();
  readonly #resolvers: ReceiverResolver[] = [];

  /**
   * Register `receiver` under `name`.
   * @throws DispatchConfigError when the name is empty or taken, or `receiver` is not a
   *   function, `handleSignal` object, observer or port
   */
  register(name: string, receiver: SignalReceiver): this {
    if (typeof name !== 'string' || name.length === 0) {
      throw new DispatchConfigError('named', 'name', 'a receiver name must be a non-empty string');
    }
    if (this.#receivers.has(name)) {
      throw new DispatchConfigError(
        'named',
        'name',
        `a receiver is already registered as "${name}"`,
        {
          details: { name },
        },
      );
    }
    if (receiverKind(receiver) === undefined) {
      throw new DispatchConfigError(
        'named',
        'receiver',
        `"${name}" must be a function, an object with handleSignal(), an observer (next) or a port (postMessage)`,
        { details: { name } },
      );
    }
    watchReceiver(receiver);
    this.#receivers.set(name, receiver);
    return this;
  }

  /** Remove the receiver registered under `name`; `true` if there was one. */
  unregister(name: string): boolean {
    return this.#receivers.delete(name);
  }

  /** The receiver registered under `name`, else the first resolver's answer. */
  get(name: string): SignalReceiver | undefined {
    const receiver = this.#receivers.get(name);
    if (receiver !== undefined) return receiver;
    for (const resolve of this.#resolvers) {
      const resolved = resolve(name);
      if (resolved !== undefined) return resolved;
    }
    return undefined;
  }

  /** Whether {@link ReceiverRegistry.get} finds a receiver for `name`. */
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Names registered with {@link ReceiverRegistry.register} (resolvers are not listed). */
  names(): string[] {
    return [...this.#receivers.keys()];
  }

  /**
   * Add a resolver consulted, in order, for names that are not registered.
   * @returns a function that removes the resolver again
   */
  addResolver(resolver: ReceiverResolver): () => void {
    this.#resolvers.push(resolver);
    return () => {
      const i = this.#resolvers.indexOf(resolver);
      if (i >= 0) this.#resolvers.splice(i, 1);
    };
  }

  /** Remove every registered receiver and resolver. */
  clear(): void {
    this.#receivers.clear();
    this.#resolvers.length = 0;
  }
}
