export * from './serializer.interface.js';
export * from './json.serializer.js';
export * from './http.js';
export * from './msgpack.serializer.js';
