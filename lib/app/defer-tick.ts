/**
 * A tick that fails because the rollout store is throttled or down says nothing about the rollout.
 * Failing the SQS record would spend one of its receives, and after maxReceiveCount the message lands
 * in the dead-letter queue, whose consumer rolls the rollout back as PoisonMessage: a DynamoDB incident
 * longer than the redelivery budget would roll back every healthy canary in flight. Instead the tick is
 * put back on the queue (same rollout, same seq, so duplicates stay harmless) with a growing delay, and
 * the record counts as handled. Effects the failed attempt already applied are absolute, so the retry
 * repeats them harmlessly, exactly as a redelivery would.
 */
import { DependencyError } from './errors.js';
import type { Dependencies } from './dependencies.js';
import type { TickMessage } from '../ports/tick-queue.js';
import { reconcileRollout, type TickOutcome } from './reconcile-rollout.js';

const FIRST_DELAY_SECONDS = 5;
const MAX_DEFER_DELAY_SECONDS = 120;

/** 5 s, 10 s, 20 s … capped at 2 min, each ±20 % so a fleet of deferred ticks does not return in step. */
export function deferDelaySeconds(deferrals: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_DEFER_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** Math.max(0, deferrals - 1));
  return base * (0.8 + 0.4 * random());
}

export const isStoreUnavailable = (error: unknown): error is DependencyError =>
  error instanceof DependencyError && error.transient && error.dependency === 'dynamodb';

/**
 * An apiserver that is unreachable, times out or answers 5xx. Its first failure gets SQS's quick
 * redelivery (a blip); from the second receive on, or once deferred, the tick is put back with backoff
 * instead, so an outage longer than the redelivery budget never dead-letters a rollout into a half rollback.
 */
export const isApiserverUnavailable = (error: unknown): error is DependencyError =>
  error instanceof DependencyError && error.transient && error.dependency.startsWith('kubernetes cluster');

export type TickOrDeferral = TickOutcome | { kind: 'deferred'; deferrals: number; delaySeconds: number; reason: string };

/** `receiveCount` is SQS's ApproximateReceiveCount of the record carrying `message`. */
export async function reconcileOrDefer(deps: Dependencies, message: TickMessage, receiveCount = 1): Promise<TickOrDeferral> {
  try {
    return await reconcileRollout(deps, message);
  } catch (error) {
    const apiserverOutage = isApiserverUnavailable(error) && (receiveCount >= 2 || (message.deferrals ?? 0) > 0);
    if (!isStoreUnavailable(error) && !apiserverOutage) throw error;
    const deferrals = (message.deferrals ?? 0) + 1;
    const delaySeconds = deferDelaySeconds(deferrals);
    // If this enqueue fails too, the record fails and SQS redelivers it: nothing is lost either way.
    await deps.queue.schedule({ ...message, deferrals }, delaySeconds);
    return { kind: 'deferred', deferrals, delaySeconds, reason: error.message };
  }
}
