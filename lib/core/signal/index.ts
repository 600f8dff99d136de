export {
  configureSignals,
  createSignal,
  getDefaultSignalFactory,
  Signal,
  SignalFactory,
  type SignalAttributes,
  type SignalFactoryOptions,
  type SignalInit,
  type SignalParseOptions,
  type StructuredSignal,
} from './signal.js';
// not exported (@internal): formatIdParts, parseIdParts, nextIdParts, IdParts
export { SignalId, type GeneratedId } from './signal-id.js';
export {
  assertExtensionName,
  BUILT_IN_EXTENSIONS,
  causationIdExtension,
  correlationIdExtension,
  createExtensionRegistry,
  dispatchExtension,
  EXTENSION_NAME_RE,
  ExtensionRegistry,
  RESERVED_ATTRIBUTE_NAMES,
  traceparentExtension,
  tracestateExtension,
  type ExtensionValue,
  type SignalExtension,
} from './extensions.js';
export {
  childTraceparent,
  createTraceparent,
  formatTraceparent,
  parseTraceparent,
  type TraceParent,
} from './trace-context.js';
export {
  isRfc3339,
  isUriReference,
  isJsonMediaType,
  MAX_TYPE_LENGTH,
  MAX_TYPE_SEGMENTS,
} from './attributes.js';
export { DEFAULT_MAX_DEPTH, DEFAULT_MAX_PAYLOAD_BYTES, UNSAFE_KEYS } from './safe-input.js';
export {
  defineSignal,
  type DefineSignalOptions,
  type DtoClass,
  type SchemaResult,
  type SignalDefinition,
  type SignalSchema,
  type StandardSchemaV1Like,
  type ValidateFunction,
} from './define-signal.js';
export {
  CLOUDEVENTS_BATCH_JSON,
  CLOUDEVENTS_JSON,
  fromHttp,
  JsonSerializer,
  MsgpackSerializer,
  signalsFromValue,
  stringifySignal,
  toHttp,
  toHttpBatch,
  type EncodedHttpMessage,
  type HttpMessage,
  type HttpMode,
  type Serializer,
  type SerializerOptions,
} from './serialization/index.js';
