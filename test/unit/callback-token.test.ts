import { describe, expect, it } from 'vitest';
import { issueCallbackToken, verifyCallbackToken } from '../../lib/http/callback-token.js';

const secret = 'callback-secret-0123456789';
const now = new Date('2026-11-26T12:00:00Z');

describe('callback tokens', () => {
  const token = issueCallbackToken(secret, { r: 'ro_1', g: 1, a: 'approve' }, now, 600);

  it('verifies and carries rollout, gate, decision and a nonce', () => {
    expect(verifyCallbackToken(secret, token, now)).toMatchObject({ r: 'ro_1', g: 1, a: 'approve' });
  });

  it.each([
    ['another secret', () => verifyCallbackToken('another-secret-0123456789', token, now), /bad signature/],
    ['an edited payload', () => verifyCallbackToken(secret, `${Buffer.from(JSON.stringify({ r: 'ro_1', g: 1, a: 'reject', exp: 9e9, n: 'x'.repeat(22) })).toString('base64url')}.${token.split('.')[1]}`, now), /bad signature/],
    ['an expired token', () => verifyCallbackToken(secret, token, new Date(now.getTime() + 601_000)), /expired/],
    ['garbage', () => verifyCallbackToken(secret, 'not-a-token', now), /malformed/],
  ])('refuses %s with 401', (_name, act, why) => {
    expect(act).toThrow(why);
  });

  it('every token gets its own nonce', () => {
    const again = issueCallbackToken(secret, { r: 'ro_1', g: 1, a: 'approve' }, now, 600);
    expect(verifyCallbackToken(secret, again, now).n).not.toBe(verifyCallbackToken(secret, token, now).n);
  });
});
