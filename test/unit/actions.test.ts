import { describe, expect, it } from 'vitest';
import { ActionConflict, applyAction, type ActionRequest } from '../../lib/domain/actions.js';
import type { RolloutState } from '../../lib/domain/state.js';
import { at, documentWith, exampleDocument, stateFrom } from '../support/fixtures.js';

const alice = { id: 'alice', via: 'api' } as const;
const bob = { id: 'bob', via: 'slack' } as const;
const req = (kind: ActionRequest['kind'], extra: Partial<ActionRequest> = {}): ActionRequest => ({ kind, actor: alice, ...extra });
const progressing = stateFrom(exampleDocument('myapp'), { phase: 'Progressing', stepIndex: 0, canaryWeight: 10, stepStartedAt: at(0).toISOString() });
const awaiting = (gate: number | 'promotion'): RolloutState => stateFrom(documentWith({ strategy: { type: 'Manual', steps: [{ weight: 20, pause: '1m' }, { weight: 100 }] } }), {
  phase: 'Paused', stepIndex: 0, canaryWeight: 20, pause: { reason: 'AwaitingApproval', since: at(0).toISOString(), message: '', gate },
});

describe('person actions', () => {
  it('abort commits the rollback with the actor named', () => {
    const { state, event } = applyAction(progressing, req('abort'), at(5));
    expect(state.phase).toBe('RollingBack');
    expect(state.failure).toEqual({ reason: 'Aborted', message: 'aborted by alice' });
    expect(event?.actor).toEqual(alice);
  });

  it('a second abort is refused, saying what happened', () => {
    const aborted = applyAction(progressing, req('abort'), at(5)).state;
    expect(() => applyAction(aborted, req('abort', { actor: bob }), at(6))).toThrow(/rolling back \(Aborted: aborted by alice\)/);
  });

  it('pause then resume restarts the step hold', () => {
    const paused = applyAction(progressing, req('pause'), at(5)).state;
    expect(paused.pause?.reason).toBe('PausedByUser');
    expect(applyAction(paused, req('pause'), at(6)).alreadyDone).toBe(true);
    const resumed = applyAction(paused, req('resume'), at(60)).state;
    expect(resumed.phase).toBe('Progressing');
    expect(resumed.stepStartedAt).toBe(at(60).toISOString());
  });

  it('promote skips the remaining steps', () => {
    expect(applyAction(progressing, req('promote'), at(5)).state.phase).toBe('Promoting');
  });

  it('approve enters the gated step and records who approved', () => {
    const { state, event } = applyAction(awaiting(1), req('approve', { comment: 'looks good' }), at(5));
    expect(state.phase).toBe('Progressing');
    expect(state.stepIndex).toBe(1);
    expect(state.canaryWeight).toBe(100);
    expect(state.approvals).toEqual([{ gate: 1, decision: 'approved', actor: alice, at: at(5).toISOString(), comment: 'looks good' }]);
    expect(event?.type).toBe('Approved');
  });

  it('a double approve gives one approval', () => {
    const once = applyAction(awaiting(1), req('approve', { step: 2 }), at(5)).state;
    const twice = applyAction(once, req('approve', { step: 2, actor: bob }), at(6));
    expect(twice.alreadyDone).toBe(true);
    expect(twice.state.approvals).toHaveLength(1);
  });

  it('approve after reject is refused with who rejected', () => {
    const rejected = applyAction(awaiting(1), req('reject', { actor: bob }), at(5)).state;
    expect(rejected.phase).toBe('RollingBack');
    expect(rejected.failure?.reason).toBe('Rejected');
    expect(() => applyAction(rejected, req('approve'), at(6))).toThrow(ActionConflict);
  });

  it('an approval for a step that already passed is refused', () => {
    const approved = applyAction(awaiting(1), req('approve'), at(5)).state;
    expect(() => applyAction(approved, req('approve', { step: 1 }), at(6))).toThrow(/not waiting for approval/);
  });

  it('approve when nothing waits is refused', () => {
    expect(() => applyAction(progressing, req('approve'), at(5))).toThrow(/no approval is pending/);
  });

  it('approving the promotion gate promotes', () => {
    expect(applyAction(awaiting('promotion'), req('approve', { step: 'promotion' }), at(5)).state.phase).toBe('Promoting');
  });

  it('resume is refused while an approval is pending', () => {
    expect(() => applyAction(awaiting(1), req('resume'), at(5))).toThrow(/approve it instead/);
  });

  it('nothing applies to a finished rollout', () => {
    const done = stateFrom(exampleDocument('myapp'), { phase: 'Completed' });
    for (const kind of ['pause', 'resume', 'abort', 'promote', 'approve', 'reject'] as const) {
      expect(() => applyAction(done, req(kind), at(5))).toThrow(ActionConflict);
    }
  });
});
