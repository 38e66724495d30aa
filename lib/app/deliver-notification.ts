import type { NotificationDestination } from '../domain/spec.js';
import type { NOTIFICATION_EVENTS } from '../domain/spec-schema.js';
import type { Clock } from '../ports/clock.js';
import { log } from '../log.js';

/**
 * Delivery of one notification job, outside any tick: the notify function runs it for each message of
 * the notification queue. A failed send throws, so SQS redelivers the message after its visibility
 * timeout (the backoff) until maxReceiveCount (the retry window), then parks it in the DLQ.
 */

/** started, stepAdvanced, paused, awaitingApproval, rolledBack, completed, failed. */
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** What a notification says, independent of the receiving service's format. */
export interface NotificationPayload {
  event: NotificationEvent;
  /** The audit event behind it (StepAdvanced, RolledBack ...) and its position in the audit trail. */
  auditType: string;
  position: number | undefined;
  rolloutId: string;
  name: string;
  namespace: string;
  cluster: string;
  phase: string;
  /** Canary traffic share, percent. */
  weight: number;
  /** 1-based current step and the number of steps; absent before the first step. */
  step: { current: number; total: number } | undefined;
  /** Health score of the latest analysis; null when none ran or it had no score. */
  score: number | null;
  /** The breached metric of the latest analysis, e.g. "errorRate 3.2 (threshold ≤ 1)". */
  failingMetric: string | undefined;
  message: string;
  actor: string;
  at: string;
}

/** One (event × destination) delivery. `key` is stable across retries and is sent as Idempotency-Key. */
export interface NotificationJob {
  key: string;
  destination: Pick<NotificationDestination, 'type' | 'url' | 'secret'>;
  payload: NotificationPayload;
}

/**
 * Claims make a job delivered at most once per destination even when SQS hands the same message to two
 * workers or redelivers one whose send succeeded: only the holder of the claim sends.
 */
export interface DeliveryClaims {
  /** True when this caller now holds `key`; false when someone already does. */
  claim(key: string, expiresAt: Date): Promise<boolean>;
  /** Gives the claim up after a failed send, so the retry may claim it again. */
  release(key: string): Promise<void>;
}

/** Formats and sends a job to its destination; throws when the destination did not accept it. */
export interface NotificationSender {
  send(job: NotificationJob): Promise<void>;
}

export interface DeliveryDependencies {
  claims: DeliveryClaims;
  sender: NotificationSender;
  /** The outbound allowlist: a spec author picks URLs, so without it the engine could be pointed inward. */
  isAllowed: (url: string) => boolean;
  clock: Clock;
}

export type DeliveryOutcome = 'delivered' | 'duplicate' | 'blocked';

/** Claims outlive any retry window by far; TTL removes them a week later. */
const CLAIM_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * Delivers one job at most once. A blocked URL is dropped (retrying cannot change the allowlist); a
 * failed send releases the claim and rethrows so SQS retries it.
 */
export async function deliverNotification(deps: DeliveryDependencies, job: NotificationJob): Promise<DeliveryOutcome> {
  const fields = { key: job.key, type: job.destination.type, host: hostOf(job.destination.url), event: job.payload.event };
  if (!deps.isAllowed(job.destination.url)) {
    log.warn('notification dropped: destination host is not on the outbound allowlist', fields);
    return 'blocked';
  }
  const claimed = await deps.claims.claim(job.key, new Date(deps.clock.now().getTime() + CLAIM_TTL_MS));
  if (!claimed) {
    log.info('notification already delivered (or in flight); skipped', fields);
    return 'duplicate';
  }
  try {
    await deps.sender.send(job);
  } catch (error) {
    await deps.claims.release(job.key).catch((releaseError: unknown) => {
      // The retry will then find the claim and skip: at most once wins over at least once.
      log.error('could not release a notification claim', { ...fields, error: String(releaseError) });
    });
    throw error;
  }
  log.info('notification delivered', fields);
  return 'delivered';
}

/** Webhook URLs often carry tokens in their path or query: only the host is ever logged. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}
