import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { HttpError } from './responses.js';

/**
 * Callback tokens for inbound approvals (e.g. a link in a webhook notification, or a CI job that
 * calls back): `<payload>.<signature>`, both base64url; the payload names the rollout, the gate and
 * the decision, expires, and carries a nonce that the callback claims once, so a token is single-use.
 */
const payloadSchema = z.object({
  // The same id rule as path ids: a token can only name a rollout that could exist.
  r: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  g: z.union([z.number().int().min(0), z.literal('promotion')]),
  a: z.enum(['approve', 'reject']),
  exp: z.number().int(),
  n: z.string().min(16),
});
export type CallbackClaim = z.infer<typeof payloadSchema>;

const sign = (secret: string, body: string): Buffer => createHmac('sha256', secret).update(body).digest();

export function issueCallbackToken(secret: string, claim: Omit<CallbackClaim, 'n' | 'exp'>, now: Date, ttlSeconds = 24 * 3600): string {
  const payload: CallbackClaim = { ...claim, exp: Math.floor(now.getTime() / 1000) + ttlSeconds, n: randomBytes(16).toString('base64url') };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${sign(secret, body).toString('base64url')}`;
}

/** Checks signature (constant time) and expiry; single use is the caller's claim on `n`. */
export function verifyCallbackToken(secret: string, token: string, now: Date): CallbackClaim {
  const [body, signature, extra] = token.split('.');
  const refuse = (why: string): never => { throw new HttpError(401, 'Unauthorized', `The callback token is not valid: ${why}`); };
  if (!body || !signature || extra !== undefined) return refuse('malformed');
  const expected = sign(secret, body);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return refuse('bad signature');
  let claim: CallbackClaim;
  try {
    claim = payloadSchema.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
  } catch {
    return refuse('malformed');
  }
  if (claim.exp * 1000 <= now.getTime()) return refuse('expired');
  return claim;
}
