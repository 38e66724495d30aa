import { describe, expect, it } from 'vitest';
import { deliverNotification, type DeliveryClaims, type NotificationJob } from '../../lib/app/deliver-notification.js';

class MemoryClaims implements DeliveryClaims {
  readonly held = new Set<string>();
  async claim(key: string): Promise<boolean> {
    if (this.held.has(key)) return false;
    this.held.add(key);
    return true;
  }
  async release(key: string): Promise<void> { this.held.delete(key); }
}

const job: NotificationJob = {
  key: 'ro_1:3:0123456789abcdef',
  destination: { type: 'webhook', url: 'https://hooks.example.com/x' },
  payload: { event: 'completed', auditType: 'Completed', position: 3, rolloutId: 'ro_1', name: 'myapp', namespace: 'production', cluster: 'default', phase: 'Completed', weight: 0, step: undefined, score: null, failingMetric: undefined, message: 'done', actor: 'engine', at: '2026-11-26T12:00:00.000Z' },
};

function setup(failures = 0, allowed = true) {
  const sent: string[] = [];
  let left = failures;
  const claims = new MemoryClaims();
  const deps = {
    claims,
    sender: { send: async (j: NotificationJob) => { if (left-- > 0) throw new Error('HTTP 500'); sent.push(j.key); } },
    isAllowed: () => allowed,
    clock: { now: () => new Date('2026-11-26T12:00:00.000Z') },
  };
  return { deps, sent, claims };
}

describe('deliverNotification', () => {
  it('sends once however often the job is redelivered', async () => {
    const { deps, sent } = setup();
    const outcomes = [await deliverNotification(deps, job), await deliverNotification(deps, job), await deliverNotification(deps, job)];
    expect(outcomes).toEqual(['delivered', 'duplicate', 'duplicate']);
    expect(sent).toEqual([job.key]);
  });

  it('a failed send throws (so SQS retries) and gives the claim back for the retry', async () => {
    const { deps, sent, claims } = setup(2);
    await expect(deliverNotification(deps, job)).rejects.toThrow('HTTP 500');
    expect(claims.held.size).toBe(0);
    await expect(deliverNotification(deps, job)).rejects.toThrow('HTTP 500');
    expect(await deliverNotification(deps, job)).toBe('delivered');
    expect(sent).toEqual([job.key]);
  });

  it('drops a URL off the allowlist without sending or retrying', async () => {
    const { deps, sent, claims } = setup(0, false);
    expect(await deliverNotification(deps, job)).toBe('blocked');
    expect(sent).toEqual([]);
    expect(claims.held.size).toBe(0);
  });
});
