import { SerializationError, SignalParseError } from '../../errors/parse.error.js';
import { loadOptionalPeer } from '../optional-peer.js';
import { assertSafeKeys, assertSize } from '../safe-input.js';
import { getDefaultSignalFactory, type Signal, type SignalParseOptions } from '../signal.js';
import { signalsFromValue } from './json.serializer.js';
import type { Serializer, SerializerOptions } from './serializer.interface.js';

interface Packr {
  pack(value: unknown): Uint8Array;
  unpack(bytes: Uint8Array): unknown;
}
interface MsgpackrModule {
  Packr: new (options: { useRecords: boolean; mapsAsObjects: boolean }) => Packr;
}

/**
 * MessagePack codec (optional peer `msgpackr`, loaded on first use). Encodes the same
 * structured envelope as JSON; records/structures are off so any reader can decode it.
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
      this.packr = new Packr({ useRecords: false, mapsAsObjects: true });
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
    assertSize(
      input,
      this.parseOptions.maxPayloadBytes ?? getDefaultSignalFactory().maxPayloadBytes,
    );
    let value: unknown;
    try {
      value = codec.unpack(input);
    } catch (cause) {
      throw new SignalParseError(`Malformed MessagePack: ${(cause as Error).message}`, { cause });
    }
    assertSafeKeys(value);
    return signalsFromValue(value, this.parseOptions);
  }
}
