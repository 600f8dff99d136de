export type { Serializer, SerializerOptions } from './serializer.interface.js';
export {
  CLOUDEVENTS_BATCH_JSON,
  CLOUDEVENTS_JSON,
  JsonSerializer,
  signalsFromValue,
  stringifySignal,
} from './json.serializer.js';
export {
  fromHttp,
  toHttp,
  toHttpBatch,
  type EncodedHttpMessage,
  type HttpMessage,
  type HttpMode,
} from './http.js';
export { MsgpackSerializer } from './msgpack.serializer.js';
