/**
 * The JetStream journal's messages: reading the JSON body of one entry (format version 1,
 * {@link WireRecord}) back, and the subject token of a signal id.
 * @module
 */
import { createHash } from 'node:crypto';
import type { WireRecord } from './wire-record.js';

const MAX_TOKEN = 128;
const TOKEN_RE = /^[A-Za-z0-9-]+$/;

/**
 * Subject token of a signal id: `[A-Za-z0-9-]` kept, every other UTF-8 byte as `_XX`;
 * tokens longer than 128 characters become `_H` + SHA-256 hex (`_H` is never produced by
 * escaping, so the mapping stays injective).
 */
export function journalSubjectToken(id: string): string {
  let token: string;
  if (TOKEN_RE.test(id)) token = id;
  else {
    token = '';
    for (const byte of Buffer.from(id, 'utf8')) {
      const c = String.fromCharCode(byte);
      token +=
        byte < 0x80 && TOKEN_RE.test(c)
          ? c
          : `_${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  if (token.length <= MAX_TOKEN) return token;
  return `_H${createHash('sha256').update(id, 'utf8').digest('hex')}`;
}

/** The journal record in a message body, or `undefined` when it is not one. */
export function parseRecord(data: Uint8Array): WireRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (
    r.v !== 1 ||
    typeof r.id !== 'string' ||
    r.id === '' ||
    typeof r.time !== 'number' ||
    !Number.isFinite(r.time) ||
    typeof r.recordedAt !== 'number' ||
    !Number.isFinite(r.recordedAt) ||
    typeof r.conversationId !== 'string' ||
    (r.causeId !== undefined && typeof r.causeId !== 'string') ||
    typeof r.signal !== 'object' ||
    r.signal === null
  ) {
    return undefined;
  }
  return raw as WireRecord;
}
