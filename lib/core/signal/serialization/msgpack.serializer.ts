import {
  NestingTooDeepError,
  SerializationError,
  SignalParseError,
} from '../../errors/parse.error.js';
import { describeThrown } from '../../errors/jido-signal.error.js';
import { loadOptionalPeer } from '../optional-peer.js';
import { assertSize, resolveMaxDepth } from '../safe-input.js';
import { getDefaultSignalFactory, type Signal, type SignalParseOptions } from '../signal.js';
import { signalsFromValue } from './json.serializer.js';
import type { Serializer, SerializerOptions } from './serializer.interface.js';

interface Packr {
  pack(value: unknown): Uint8Array;
  unpack(bytes: Uint8Array): unknown;
}
interface PackrOptions {
  useRecords: boolean;
  mapsAsObjects: boolean;
  /** 64-bit integers: numbers up to 2^53, BigInt beyond (then refused as unsupported). */
  int64AsType: 'auto';
  /** Refuse msgpackr's reference extensions (shared and circular structures). */
  structuredClone: false;
}
interface MsgpackrModule {
  Packr: new (options: PackrOptions) => Packr;
}

/**
 * MessagePack codec (optional peer `msgpackr`, loaded on first use). Encodes the same
 * structured envelope as JSON; records/structures are off so any reader can decode it.
 *
 * Decoding gives plain JSON data or a typed error, like the JSON codec: 64-bit integers
 * beyond 2^53, extension types (timestamps, `Set`, `Error`, `RegExp`, typed arrays,
 * references), `NaN`/`Infinity` and binary values other than the whole `data` are refused
 * with `UnsupportedValueError`; nesting deeper than `maxDepth` with `NestingTooDeepError`.
 */
export class MsgpackSerializer implements Serializer {
  readonly contentType = 'application/cloudevents+msgpack';
  private readonly parseOptions: SignalParseOptions;
  private packr: Packr | undefined;

  constructor(options: SerializerOptions = {}) {
    this.parseOptions = options;
  }

  private codec(): Packr {
    if (this.packr === undefined) {
      const { Packr } = loadOptionalPeer<MsgpackrModule>('msgpackr', 'MsgpackSerializer');
      this.packr = new Packr({
        useRecords: false,
        mapsAsObjects: true,
        int64AsType: 'auto',
        structuredClone: false,
      });
    }
    return this.packr;
  }

  serialize(input: Signal | readonly Signal[]): Uint8Array {
    const codec = this.codec();
    const value = Array.isArray(input)
      ? (input as readonly Signal[]).map((s) => s.toJSON())
      : (input as Signal).toJSON();
    try {
      return codec.pack(value);
    } catch (cause) {
      throw new SerializationError(
        `Signal is not MessagePack-serializable: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  deserialize(input: string | Uint8Array): Signal | Signal[] {
    const codec = this.codec();
    if (typeof input === 'string')
      throw new SignalParseError('MessagePack input must be bytes, not a string');
    const factory = getDefaultSignalFactory();
    assertSize(input, this.parseOptions.maxPayloadBytes ?? factory.maxPayloadBytes);
    let value: unknown;
    try {
      value = codec.unpack(input);
    } catch (cause) {
      // msgpackr decodes recursively: absurd nesting overflows its stack.
      if ((cause as Error)?.name === 'RangeError' && /call stack/i.test(describeThrown(cause))) {
        throw new NestingTooDeepError(
          resolveMaxDepth(this.parseOptions.maxDepth, factory.maxDepth),
        );
      }
      throw new SignalParseError(`Malformed MessagePack: ${describeThrown(cause)}`, { cause });
    }
    // Signal.from checks each envelope: plain JSON data, depth, keys.
    return signalsFromValue(value, this.parseOptions);
  }
}
