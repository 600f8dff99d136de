/**
 * Ids inside Redis key names, shared by the Redis store and journal.
 * @module
 */

/** Encode an arbitrary id (subscription, snapshot) for a key name: base64url of its UTF-8. */
export function encodeId(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/** Inverse of {@link encodeId}. */
export function decodeId(encoded: string): string {
  return Buffer.from(encoded, 'base64url').toString('utf8');
}
