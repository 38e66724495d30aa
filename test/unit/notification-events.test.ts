import { describe, expect, it } from 'vitest';
import { buildJobs, destinationHash, idempotencyKey, parseNotificationJob } from '../../lib/adapters/notifications/jobs.js';
import { notableEvents } from '../../lib/adapters/notifications/events.js';
import type { AuditEventDraft } from '../../lib/domain/commands.js';
import { decide } from '../../lib/domain/decide.js';
import type { RolloutState } from '../../lib/domain/state.js';
import { at, documentWith, exampleDocument, observe, outcome, stateFrom } from '../support/fixtures.js';

const draft = (type: string, seconds = 10, data?: Record<string, unknown>): AuditEventDraft => ({
  type, at: at(seconds).toISOString(), actor: { id: 'engine', via: 'engine' }, message: `${type} happened`, ...(data ? { data } : {}),
});
/** The state as the store returns it after saving `drafts`: its audit head counts them. */
const saved = (state: RolloutState, drafts: AuditEventDraft[], before = 4): RolloutState => ({ ...state, auditHead: { count: before + drafts.length, hash: 'h' } });
const hook = { type: 'webhook' as const, url: 'https://hooks.example.com/codedance' };
const myapp = exampleDocument('myapp');

describe('audit event → notification event', () => {
  it.each([
    ['RolloutStarted', 'started', []],
    ['StepAdvanced', 'stepAdvanced', []],
    ['Paused', 'paused', []],
    ['ApprovalRequested', 'awaitingApproval', []],
    ['RolledBack', 'rolledBack', ['failed']],
    ['Failed', 'failed', []],
    // A rollback the cluster refused part of is as loud as a failure (issue 12, point 5).
    ['RollbackIncomplete', 'failed', ['rolledBack']],
    ['TargetChanged', 'paused', []],
    ['Completed', 'completed', []],
  ])('%s → %s', (type, event, also) => {
    // Prepare
    const state = stateFrom(myapp);
    // Act
    const [notable] = notableEvents(saved(state, [draft(type)]), [draft(type)]);
    // Assess
    expect(notable).toMatchObject({ event, also });
  });

  it.each(['CanaryReady', 'Analysis', 'Approved', 'Resumed', 'PromotionStarted', 'RollbackStarted', 'Aborted'])('%s alone is not notified', (type) => {
    expect(notableEvents(saved(stateFrom(myapp), [draft(type)]), [draft(type)])).toEqual([]);
  });

  it('a pause decided by analysis (grey zone) is notified once, when it begins', () => {
    // Prepare
    const progressing = stateFrom(myapp, { phase: 'Progressing', stepIndex: 0, canaryWeight: 10, stepStartedAt: at(0).toISOString() });
    // Act
    const first = decide(progressing, observe({ weight: 10, analysis: outcome('grey', 70) }), at(30));
    const again = decide({ ...first.state, nextTickAt: at(60).toISOString() }, observe({ weight: 10, analysis: outcome('grey', 72) }), at(60));
    // Assess
    expect(first.state.pause?.reason).toBe('HealthGreyZone');
    expect(notableEvents(saved(first.state, first.events), first.events).map((n) => n.event)).toEqual(['paused']);
    expect(notableEvents(saved(again.state, again.events), again.events)).toEqual([]);
  });

  it('derives each draft\'s audit position from the saved head', () => {
    const drafts = [draft('CanaryReady'), draft('StepAdvanced', 10, { step: 1, weight: 10 })];
    const [notable] = notableEvents(saved(stateFrom(myapp), drafts, 2), drafts);
    expect(notable?.position).toBe(4);
  });

  it('announces the start from the create itself, keyed as position 1', () => {
    const drafts = [draft('RolloutStarted')];
    const notable = notableEvents(saved(stateFrom(myapp), drafts, 0), drafts);
    expect(notable.map((n) => [n.event, n.position])).toEqual([['started', 1]]);
  });
});

describe('jobs and idempotency keys', () => {
  const drafts = [draft('StepAdvanced', 10, { step: 2, weight: 50 })];
  const state = saved(stateFrom(documentWith({ notifications: [hook] }), { phase: 'Progressing', stepIndex: 1, canaryWeight: 50 }), drafts);

  it('is the same for the same event and destination, however often the jobs are built', () => {
    const [a] = buildJobs(state, drafts, []);
    const [b] = buildJobs(structuredClone(state), structuredClone(drafts), []);
    expect(a?.key).toBe(`ro_test:5:${destinationHash(hook)}`);
    expect(b?.key).toBe(a?.key);
  });

  it('differs per destination and per event, and never contains the URL', () => {
    const other = { type: 'slack' as const, url: 'https://hooks.slack.com/services/T/B/secret-token' };
    const keys = new Set([
      idempotencyKey('ro_1', { position: 5, draft: drafts[0]! }, hook),
      idempotencyKey('ro_1', { position: 5, draft: drafts[0]! }, other),
      idempotencyKey('ro_1', { position: 6, draft: drafts[0]! }, hook),
      idempotencyKey('ro_2', { position: 5, draft: drafts[0]! }, hook),
    ]);
    expect(keys.size).toBe(4);
    expect([...keys].join()).not.toContain('secret-token');
  });

  it('falls back to type@at when the position is unknown', () => {
    expect(idempotencyKey('ro_1', { position: undefined, draft: drafts[0]! }, hook)).toBe(`ro_1:StepAdvanced@${at(10).toISOString()}:${destinationHash(hook)}`);
  });

  it('routes to per-rollout and global destinations, honouring their event filters, once per URL', () => {
    const global = { type: 'wecom' as const, url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k', events: ['rolledBack' as const] };
    const failedOnly = { type: 'dingtalk' as const, url: 'https://oapi.dingtalk.com/robot/send?access_token=t', events: ['failed' as const] };
    const rolledBack = [draft('RolledBack', 20, { reason: 'MetricsFailed' })];
    const failedState = saved(stateFrom(documentWith({ notifications: [hook, failedOnly] }), { phase: 'Failed' }), rolledBack);
    // Act
    const onStep = buildJobs(state, drafts, [global, hook]);
    const onRollback = buildJobs(failedState, rolledBack, [global]);
    // Assess: the step goes to the webhook only (listed twice); the rollback to all three
    expect(onStep.map((j) => j.destination.type)).toEqual(['webhook']);
    expect(onRollback.map((j) => j.destination.type).sort()).toEqual(['dingtalk', 'webhook', 'wecom']);
    expect(onRollback[0]?.payload).toMatchObject({ event: 'rolledBack', auditType: 'RolledBack', phase: 'Failed', rolloutId: 'ro_test', name: 'myapp' });
  });

  it('survives the trip through SQS', () => {
    const [job] = buildJobs(state, drafts, []);
    expect(parseNotificationJob(JSON.stringify(job))).toEqual(job);
  });
});
