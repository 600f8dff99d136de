import { describe, expect, it } from '@jest/globals';
import { describeCause, redactServer } from '../../../lib/core/nats/connection.js';

describe('NATS connection helpers keep credentials out of messages', () => {
  it.each([
    ['nats://alice:s3cret@127.0.0.1:4222', 'nats://127.0.0.1:4222'],
    ['alice:s3cret@127.0.0.1:4222', '127.0.0.1:4222'],
    ['nats://a:p@ss/w@rd@127.0.0.1:4222', 'nats://127.0.0.1:4222'],
    ['tls://token@127.0.0.1:4222', 'tls://127.0.0.1:4222'],
    ['nats://127.0.0.1:4222', 'nats://127.0.0.1:4222'],
  ])('redactServer(%s) → %s', (server, expected) => {
    expect(redactServer(server)).toBe(expected);
  });

  it('describeCause strips user info from every URL in an error message', () => {
    const cause = describeCause(
      new Error('failed nats://u:s3cret@127.0.0.1:1 and nats://v:t0ken@127.0.0.1:2'),
    );
    expect(cause.message).toBe('failed nats://127.0.0.1:1 and nats://127.0.0.1:2');
    expect(describeCause('plain').message).toBe('plain');
  });
});
