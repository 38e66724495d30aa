import { createHmac, timingSafeEqual } from 'node:crypto';
import type { NotificationJob } from '../../app/deliver-notification.js';
import type { FormatContext, OutboundRequest } from './request.js';

/**
 * Generic webhook: a JSON body, signed when the destination names a secret. The signature follows the
 * Stripe/Slack pattern so receivers can reject replays: `X-Codedance-Signature: t=<unix seconds>,v1=<hex
 * HMAC-SHA256 of "<t>.<raw body>" keyed with the secret>`.
 */
export const SIGNATURE_HEADER = 'X-Codedance-Signature';

export function formatWebhook(job: NotificationJob, context: FormatContext): OutboundRequest {
  const p = job.payload;
  const body = JSON.stringify({
    event: p.event,
    auditType: p.auditType,
    rollout: { id: p.rolloutId, name: p.name, namespace: p.namespace, cluster: p.cluster },
    phase: p.phase,
    weight: p.weight,
    step: p.step ?? null,
    score: p.score,
    failingMetric: p.failingMetric ?? null,
    message: p.message,
    actor: p.actor,
    at: p.at,
    idempotencyKey: job.key,
  });
  const headers: Record<string, string> = {};
  if (context.secret !== undefined) headers[SIGNATURE_HEADER] = signWebhook(body, context.secret, context.now);
  return { url: job.destination.url, headers, body };
}

export function signWebhook(body: string, secret: string, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** What a receiver does (and what the tests do): recompute, compare in constant time, bound the age. */
export function verifyWebhookSignature(header: string, body: string, secret: string, now: Date, toleranceSeconds = 300): boolean {
  const parts = new Map(header.split(',').map((part) => {
    const at = part.indexOf('=');
    return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
  }));
  const t = Number(parts.get('t'));
  const given = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}
