import { describe, expect, it } from 'vitest';
import { invalidSpecStatus, objectStatus, type ObjectCondition } from '../../lib/domain/object-status.js';
import type { RolloutState } from '../../lib/domain/state.js';
import type { ObjectStatus as PortObjectStatus } from '../../lib/ports/canary-objects.js';
import { at, exampleDocument, stateFrom, T0 } from '../support/fixtures.js';

const source = { cluster: 'east', namespace: 'production', name: 'myapp', uid: 'u-1', generation: 3 };
const state = (patch: Partial<RolloutState> = {}): RolloutState => stateFrom(exampleDocument('myapp'), { id: 'ro_1', source, ...patch });
const byType = (conditions: ObjectCondition[]) => Object.fromEntries(conditions.map((c) => [c.type, c]));
const T0_TEXT = '2026-11-26T12:00:00Z';

describe('objectStatus', () => {
  it('mirrors phase, weight, step, health, message, rollout id and the generation it runs', () => {
    // Prepare
    const s = state({
      phase: 'Progressing', stepIndex: 1, canaryWeight: 50, message: 'step 2 of 3 healthy',
      analysis: { failures: 0, consecutiveInconclusive: 0, last: { at: T0.toISOString(), verdict: 'pass', score: 97.5, reason: 'ok' } },
    });

    // Act
    const status = objectStatus(s, undefined, T0);

    // Assess
    expect(status).toMatchObject({ observedGeneration: 3, phase: 'Progressing', weight: 50, step: '2/3', health: 97.5, message: 'step 2 of 3 healthy', rolloutId: 'ro_1' });
    expect(status.conditions.map((c) => c.type)).toEqual(['Ready', 'Progressing', 'Failed']);
    for (const c of status.conditions) expect(c).toMatchObject({ observedGeneration: 3, lastTransitionTime: T0_TEXT });
    // The port's type and the domain's are the same shape.
    const port: PortObjectStatus = status;
    expect(port.phase).toBe('Progressing');
  });

  it('has no health before an analysis ran, step 0/n before the first step, and no generation for a rollout started over HTTP', () => {
    const status = objectStatus(state({ source: undefined }), undefined, T0);
    expect(status).not.toHaveProperty('health');
    expect(status).not.toHaveProperty('observedGeneration');
    expect(status.step).toBe('0/3');
    for (const c of status.conditions) expect(c).not.toHaveProperty('observedGeneration');
  });

  it.each([
    ['Initializing', undefined, { Ready: 'False', Progressing: 'True', Failed: 'False' }, 'Initializing'],
    ['Progressing', undefined, { Ready: 'False', Progressing: 'True', Failed: 'False' }, 'Progressing'],
    ['Paused', { reason: 'AwaitingApproval' as const, since: T0.toISOString(), message: 'waiting for approval of step 2' }, { Ready: 'False', Progressing: 'True', Failed: 'False' }, 'AwaitingApproval'],
    ['Promoting', undefined, { Ready: 'False', Progressing: 'True', Failed: 'False' }, 'Promoting'],
    ['RollingBack', undefined, { Ready: 'False', Progressing: 'True', Failed: 'False' }, 'RollingBack'],
    ['Completed', undefined, { Ready: 'True', Progressing: 'False', Failed: 'False' }, 'Completed'],
  ] as const)('%s: the conditions say %#', (phase, pause, expected, progressingReason) => {
    const status = objectStatus(state({ phase, ...(pause ? { pause } : {}) }), undefined, T0);
    const conditions = byType(status.conditions);
    expect({ Ready: conditions.Ready?.status, Progressing: conditions.Progressing?.status, Failed: conditions.Failed?.status }).toEqual(expected);
    expect(conditions.Progressing?.reason).toBe(progressingReason);
    if (pause) expect(conditions.Progressing?.message).toBe(pause.message);
  });

  it('Failed: the Failed condition carries the failure reason and message', () => {
    const failure = { reason: 'MetricsFailed' as const, message: 'success rate 91% below 99%' };
    const status = objectStatus(state({ phase: 'Failed', failure, message: 'rolled back' }), undefined, T0);
    const conditions = byType(status.conditions);
    expect(conditions.Failed).toMatchObject({ status: 'True', reason: 'MetricsFailed', message: 'success rate 91% below 99%' });
    expect(conditions.Ready).toMatchObject({ status: 'False', reason: 'Failed' });
    expect(conditions.Progressing).toMatchObject({ status: 'False', reason: 'Failed' });
  });

  it('keeps lastTransitionTime while a status stays the same, even when the reason changes, and moves it when the status flips', () => {
    // Prepare: Progressing at T0, then Paused, then Completed.
    const first = objectStatus(state({ phase: 'Progressing' }), undefined, at(0));
    const paused = objectStatus(state({ phase: 'Paused', pause: { reason: 'HealthGreyZone', since: at(60).toISOString(), message: 'grey zone' } }), first.conditions, at(60));

    // Act
    const completed = objectStatus(state({ phase: 'Completed' }), paused.conditions, at(120));

    // Assess
    expect(byType(paused.conditions).Progressing).toMatchObject({ status: 'True', reason: 'HealthGreyZone', lastTransitionTime: T0_TEXT });
    expect(byType(paused.conditions).Ready?.lastTransitionTime).toBe(T0_TEXT);
    const done = byType(completed.conditions);
    expect(done.Ready).toMatchObject({ status: 'True', lastTransitionTime: '2026-11-26T12:02:00Z' });
    expect(done.Progressing).toMatchObject({ status: 'False', lastTransitionTime: '2026-11-26T12:02:00Z' });
    expect(done.Failed).toMatchObject({ status: 'False', lastTransitionTime: T0_TEXT });
  });

  it('writes times as Kubernetes does: RFC 3339 in whole seconds', () => {
    const status = objectStatus(state(), undefined, new Date('2026-11-26T12:00:00.789Z'));
    expect(status.conditions[0]?.lastTransitionTime).toBe('2026-11-26T12:00:00Z');
  });
});

describe('invalidSpecStatus', () => {
  const problems = [
    { path: 'spec.strategy.steps[1].weight', message: "must be greater than the previous step's weight (50)" },
    { path: 'spec.targetDeployment', message: 'Deployment production/myapp not found' },
  ];

  it('is Failed with reason InvalidSpec, naming every field path and rule; not Ready, not Progressing', () => {
    // Act
    const status = invalidSpecStatus(problems, 4, undefined, T0);

    // Assess
    expect(status).toMatchObject({ phase: 'Failed', observedGeneration: 4, weight: 0 });
    expect(status).not.toHaveProperty('rolloutId');
    const conditions = byType(status.conditions);
    expect(conditions.Failed).toMatchObject({ status: 'True', reason: 'InvalidSpec', observedGeneration: 4, lastTransitionTime: T0_TEXT });
    expect(conditions.Ready).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(conditions.Progressing).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    for (const p of problems) {
      expect(conditions.Failed?.message).toContain(`${p.path}: ${p.message}`);
      expect(status.message).toContain(p.path);
    }
  });

  it('keeps the transition times of an earlier refusal and of a rollout that was not Ready', () => {
    const before = objectStatus(state({ phase: 'Progressing' }), undefined, at(0)).conditions;
    const status = invalidSpecStatus(problems, 4, before, at(300));
    const conditions = byType(status.conditions);
    expect(conditions.Ready?.lastTransitionTime).toBe(T0_TEXT);
    expect(conditions.Failed?.lastTransitionTime).toBe('2026-11-26T12:05:00Z');
    expect(conditions.Progressing?.lastTransitionTime).toBe('2026-11-26T12:05:00Z');
    const again = invalidSpecStatus(problems, 5, status.conditions, at(600));
    expect(byType(again.conditions).Failed).toMatchObject({ lastTransitionTime: '2026-11-26T12:05:00Z', observedGeneration: 5 });
  });

  it('keeps a huge list of problems within a bounded message', () => {
    const many = Array.from({ length: 500 }, (_, i) => ({ path: `spec.webhooks[${i}].url`, message: 'must be an http(s) URL' }));
    const status = invalidSpecStatus(many, 1, undefined, T0);
    expect(status.message.length).toBeLessThanOrEqual(4096);
    expect(status.message.endsWith('…')).toBe(true);
  });
});
