import { createHash } from 'node:crypto';
import { z } from 'zod';
import { NOTIFICATION_EVENTS } from '../../domain/spec-schema.js';
import type { NotificationDestination } from '../../domain/spec.js';
import type { AuditEventDraft } from '../../domain/commands.js';
import type { RolloutState } from '../../domain/state.js';
import type { NotificationJob } from '../../app/deliver-notification.js';
import { buildPayload, notableEvents, type Notable } from './events.js';

/**
 * Turns saved audit events into delivery jobs: one per (notable event × matching destination), each
 * with an idempotency key that is the same however often the job is built or retried.
 */

/** A destination's identity: type and URL. Short, and never reveals a URL (which may hold a token). */
export function destinationHash(destination: Pick<NotificationDestination, 'type' | 'url'>): string {
  return createHash('sha256').update(`${destination.type}\n${destination.url}`).digest('hex').slice(0, 16);
}

/** `<rolloutId>:<audit position, or type@at when unknown>:<destination hash>`. */
export function idempotencyKey(rolloutId: string, notable: Pick<Notable, 'position' | 'draft'>, destination: Pick<NotificationDestination, 'type' | 'url'>): string {
  const event = notable.position !== undefined ? String(notable.position) : `${notable.draft.type}@${notable.draft.at}`;
  return `${rolloutId}:${event}:${destinationHash(destination)}`;
}

const wants = (destination: NotificationDestination, notable: Notable): boolean =>
  !destination.events || [notable.event, ...notable.also].some((e) => destination.events?.includes(e));

/**
 * Per-rollout destinations first, then the global ones. A URL listed in both is sent to once per event
 * (same key), if either entry subscribes to it.
 */
export function buildJobs(state: RolloutState, drafts: AuditEventDraft[], globals: NotificationDestination[]): NotificationJob[] {
  const destinations = [...state.spec.notifications, ...globals];
  if (destinations.length === 0) return [];
  return notableEvents(state, drafts).flatMap((notable) => {
    const keys = new Set<string>();
    return destinations.flatMap((destination) => {
      if (!wants(destination, notable)) return [];
      const key = idempotencyKey(state.id, notable, destination);
      if (keys.has(key)) return [];
      keys.add(key);
      const { type, url, secret } = destination;
      return [{ key, destination: { type, url, ...(secret ? { secret } : {}) }, payload: buildPayload(state, notable) }];
    });
  });
}

/** The job as it travels through SQS; validated on receipt like any other edge. */
export const notificationJobSchema = z.object({
  key: z.string().min(1).max(400),
  destination: z.object({
    type: z.enum(['slack', 'webhook', 'dingtalk', 'wecom']),
    url: z.url({ protocol: /^https?$/ }),
    secret: z.string().min(1).optional(),
  }),
  payload: z.object({
    event: z.enum(NOTIFICATION_EVENTS),
    auditType: z.string(),
    position: z.number().int().min(1).optional(),
    rolloutId: z.string(),
    name: z.string(),
    namespace: z.string(),
    cluster: z.string(),
    phase: z.string(),
    weight: z.number(),
    step: z.object({ current: z.number().int(), total: z.number().int() }).optional(),
    score: z.number().nullable(),
    failingMetric: z.string().optional(),
    message: z.string(),
    actor: z.string(),
    at: z.iso.datetime({ offset: true }),
  }),
});

export function parseNotificationJob(body: string): NotificationJob {
  const job = notificationJobSchema.parse(JSON.parse(body));
  return { ...job, payload: { ...job.payload, position: job.payload.position, step: job.payload.step, failingMetric: job.payload.failingMetric } };
}
