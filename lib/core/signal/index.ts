export * from './signal.js';
export * from './signal-id.js';
export * from './extensions.js';
export * from './trace-context.js';
export {
  isRfc3339,
  isUriReference,
  isJsonMediaType,
  MAX_TYPE_LENGTH,
  MAX_TYPE_SEGMENTS,
} from './attributes.js';
export { DEFAULT_MAX_DEPTH, DEFAULT_MAX_PAYLOAD_BYTES, UNSAFE_KEYS } from './safe-input.js';
export * from './define-signal.js';
export * from './serialization/index.js';
