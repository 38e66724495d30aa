import { describe, expect, it } from 'vitest';
import { rawBody, slackSignature, verifySlackSignature } from '../../lib/http/slack-signature.js';
import { refusal } from '../support/refusal.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = new Date('2026-11-26T12:00:00.000Z');
const TS = String(NOW.getTime() / 1000);
const BODY = 'payload=%7B%22type%22%3A%22block_actions%22%7D';

function signed(overrides: { secret?: string; timestamp?: string; body?: string } = {}) {
  const timestamp = overrides.timestamp ?? TS;
  return { 'X-Slack-Request-Timestamp': timestamp, 'X-Slack-Signature': slackSignature(overrides.secret ?? SECRET, timestamp, overrides.body ?? BODY) };
}

describe('Slack request signature', () => {
  it('accepts a correctly signed request, header names in any case', () => {
    const headers = Object.fromEntries(Object.entries(signed()).map(([k, v]) => [k.toLowerCase(), v]));
    expect(() => verifySlackSignature({ headers, body: BODY, secret: SECRET, now: NOW })).not.toThrow();
    expect(() => verifySlackSignature({ headers: signed(), body: BODY, secret: SECRET, now: NOW })).not.toThrow();
  });

  it('matches the example in Slack\'s documentation', () => {
    // https://api.slack.com/authentication/verifying-requests-from-slack
    const body = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(slackSignature('8f742231b10e8888abcd99yyyzzz85a5', '1531420618', body)).toBe('v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503');
  });

  it.each([
    ['a forged signature (wrong secret)', signed({ secret: 'not-the-secret' }), BODY],
    ['a body altered after signing', signed(), BODY.replace('block_actions', 'block_actionz')],
    ['a timestamp 6 minutes old', signed({ timestamp: String(Number(TS) - 6 * 60) }), BODY],
    ['a timestamp 6 minutes ahead', signed({ timestamp: String(Number(TS) + 6 * 60) }), BODY],
    ['a signature of another length', { 'X-Slack-Request-Timestamp': TS, 'X-Slack-Signature': 'v0=abc' }, BODY],
    ['a non-numeric timestamp', { ...signed(), 'X-Slack-Request-Timestamp': 'soon' }, BODY],
    ['no signature header', { 'X-Slack-Request-Timestamp': TS }, BODY],
    ['no timestamp header', { 'X-Slack-Signature': signed()['X-Slack-Signature'] }, BODY],
    ['no headers at all', {}, BODY],
  ])('refuses %s with 401 without revealing the expected signature', (_name, headers, body) => {
    const error = refusal(() => verifySlackSignature({ headers, body, secret: SECRET, now: NOW }));
    expect(error.status).toBe(401);
    expect(error.message).not.toMatch(/[0-9a-f]{64}/);
    expect(error.message).not.toContain(SECRET);
  });

  it('accepts a timestamp 4 minutes old', () => {
    const old = String(Number(TS) - 4 * 60);
    expect(() => verifySlackSignature({ headers: signed({ timestamp: old }), body: BODY, secret: SECRET, now: NOW })).not.toThrow();
  });

  it('reads the raw body, base64-decoding it when API Gateway encoded it', () => {
    expect(rawBody({ body: Buffer.from(BODY).toString('base64'), isBase64Encoded: true })).toBe(BODY);
    expect(rawBody({ body: BODY, isBase64Encoded: false })).toBe(BODY);
    expect(rawBody({ body: undefined, isBase64Encoded: false })).toBe('');
  });
});
