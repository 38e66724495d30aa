import { createHmac, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpError } from './responses.js';

/** Slack's replay window: a signed request older (or newer) than this is refused. */
export const SLACK_MAX_SKEW_MS = 5 * 60 * 1000;

const header = (headers: Record<string, string | undefined>, name: string): string | undefined =>
  Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];

/** The exact bytes Slack signed: API Gateway may hand them over base64-encoded. */
export function rawBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): string {
  if (event.body === undefined || event.body === null) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/** `v0=` + hex HMAC-SHA256 over `v0:{timestamp}:{body}`; also what the test stand-in signs with. */
export function slackSignature(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

const refuse = (why: string): never => {
  throw new HttpError(401, 'Unauthorized', `Slack request signature rejected: ${why}`);
};

/**
 * Verifies Slack's request signature over the raw body. The timestamp is checked first so an old,
 * correctly signed request cannot be replayed; the signature is compared in constant time, and the
 * reasons never include the expected value.
 */
export function verifySlackSignature(input: { headers: Record<string, string | undefined>; body: string; secret: string; now: Date }): void {
  const timestamp = header(input.headers, 'x-slack-request-timestamp');
  const signature = header(input.headers, 'x-slack-signature');
  if (!timestamp || !signature) return refuse('X-Slack-Request-Timestamp and X-Slack-Signature are required');
  if (!/^\d{1,12}$/.test(timestamp)) return refuse('the timestamp is not a number of seconds');
  if (Math.abs(input.now.getTime() - Number(timestamp) * 1000) > SLACK_MAX_SKEW_MS) return refuse('the timestamp is more than 5 minutes from now');
  const expected = Buffer.from(slackSignature(input.secret, timestamp, input.body), 'utf8');
  const presented = Buffer.from(signature, 'utf8');
  // timingSafeEqual needs equal lengths; a wrong length is a mismatch that reveals nothing secret.
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) refuse('the signature does not match');
}
