/**
 * Ticks whose rollout store is throttled or down are put back on the queue with a growing delay
 * instead of failing (and, after maxReceiveCount, dead-lettering into a PoisonMessage rollback).
 */
import { describe, expect, it } from 'vitest';
import { deferDelaySeconds, reconcileOrDefer } from '../../lib/app/defer-tick.js';
import type { Dependencies } from '../../lib/app/dependencies.js';
import { DependencyError } from '../../lib/app/errors.js';
import { KubernetesApiError } from '../../lib/adapters/kubernetes/errors.js';
import type { TickMessage } from '../../lib/ports/tick-queue.js';

const message: TickMessage = { rolloutId: 'ro_1', seq: 4, wakeAt: '2026-11-27T06:00:00.000Z' };

function depsFailingWith(error: unknown, scheduleFails = false) {
  const scheduled: Array<{ message: TickMessage; delay: number }> = [];
  const deps = {
    store: { get: async () => { throw error; } },
    queue: { schedule: async (m: TickMessage, delay: number) => { if (scheduleFails) throw new Error('sqs down'); scheduled.push({ message: m, delay }); } },
  } as unknown as Dependencies;
  return { deps, scheduled };
}

describe('deferring ticks while the rollout store is unavailable', () => {
  const apiserverDown = (): KubernetesApiError => new KubernetesApiError('east', 'Unavailable', 'apiserver unreachable: ECONNREFUSED', false);

  it('an apiserver outage fails its first receive (a quick SQS redelivery for a blip)', async () => {
    const { deps, scheduled } = depsFailingWith(apiserverDown());
    await expect(reconcileOrDefer(deps, message, 1)).rejects.toBeInstanceOf(KubernetesApiError);
    expect(scheduled).toHaveLength(0);
  });

  it('an apiserver outage on a later receive, or of a deferred tick, is deferred: never dead-lettered', async () => {
    for (const [m, receive] of [[message, 2], [{ ...message, deferrals: 1 }, 1]] as const) {
      const { deps, scheduled } = depsFailingWith(apiserverDown());
      expect(await reconcileOrDefer(deps, m, receive)).toMatchObject({ kind: 'deferred' });
      expect(scheduled[0]!.message).toMatchObject({ rolloutId: message.rolloutId, seq: message.seq });
    }
  });

  it('a permanent apiserver refusal is not deferred (it is a fact about the cluster)', async () => {
    const { deps } = depsFailingWith(new KubernetesApiError('east', 'Forbidden', 'forbidden', true));
    await expect(reconcileOrDefer(deps, message, 3)).rejects.toBeInstanceOf(KubernetesApiError);
  });

  it('doubles the delay from 5 s up to 2 min, within ±20 %', () => {
    const at = (n: number, r: number) => deferDelaySeconds(n, () => r);
    expect([1, 2, 3, 4, 5, 6, 7, 30].map((n) => at(n, 0.5))).toEqual([5, 10, 20, 40, 80, 120, 120, 120]);
    expect(at(1, 0)).toBeCloseTo(4);
    expect(at(6, 1)).toBeCloseTo(144);
  });

  it('puts a tick back with one more deferral when DynamoDB is throttled, keeping its rollout and seq', async () => {
    const { deps, scheduled } = depsFailingWith(new DependencyError('dynamodb', 'ProvisionedThroughputExceededException: slow down', true));
    const outcome = await reconcileOrDefer(deps, { ...message, deferrals: 2 });
    expect(outcome).toMatchObject({ kind: 'deferred', deferrals: 3 });
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]!.message).toEqual({ ...message, deferrals: 3 });
    expect(scheduled[0]!.delay).toBeGreaterThanOrEqual(16);
    expect(scheduled[0]!.delay).toBeLessThanOrEqual(24);
  });

  it.each([
    ['a permanent DynamoDB error', new DependencyError('dynamodb', 'ValidationException', false)],
    ['another dependency', new DependencyError('kubernetes cluster "a"', 'apiserver unreachable', true)],
    ['a plain bug', new TypeError('x is undefined')],
  ])('lets %s fail the record, so SQS redelivery and the dead-letter queue still apply', async (_what, error) => {
    const { deps, scheduled } = depsFailingWith(error);
    await expect(reconcileOrDefer(deps, message)).rejects.toBe(error);
    expect(scheduled).toEqual([]);
  });

  it('fails the record when the tick cannot be put back either, so nothing is lost', async () => {
    const { deps } = depsFailingWith(new DependencyError('dynamodb', 'ThrottlingException', true), true);
    await expect(reconcileOrDefer(deps, message)).rejects.toThrow('sqs down');
  });
});
