import { describe, expect, it } from 'vitest';
import type { HookResults } from '../../lib/domain/commands.js';
import { decide } from '../../lib/domain/decide.js';
import { hooksDue } from '../../lib/domain/gate-hooks.js';
import { parseCanaryDeployment } from '../../lib/domain/spec.js';
import { ValidationError } from '../../lib/domain/validation.js';
import type { RolloutState } from '../../lib/domain/state.js';
import { at, documentWith, observe, outcome, stateFrom } from '../support/fixtures.js';

const hook = (type: string, onFailure = 'wait', name = `${type}-check`) => ({ name, type, url: 'http://127.0.0.1:9/hook', onFailure });
const steps = { type: 'Linear', steps: [{ weight: 20, pause: '1m' }, { weight: 100 }] };
const answers = (type: HookResults['type'], ...ok: boolean[]): HookResults => ({ type, results: ok.map((o, i) => ({ name: `${type}-check${i || ''}`, ok: o, detail: o ? '200' : '503' })) });
const gateOpen = (webhooks: unknown[], gate: number | 'promotion' = 1): RolloutState => stateFrom(documentWith({ strategy: steps, webhooks }), {
  phase: 'Paused', stepIndex: 0, canaryWeight: 20, stepStartedAt: at(0).toISOString(),
  pause: { reason: 'AwaitingApproval', since: at(0).toISOString(), message: '', gate },
});

describe('gate hooks', () => {
  it('names the hooks a tick must call', () => {
    expect(hooksDue(stateFrom(documentWith({ webhooks: [hook('pre-rollout')] })))).toBe('pre-rollout');
    expect(hooksDue(gateOpen([hook('confirm-step'), hook('rollback')]))).toBe('confirm-step');
    expect(hooksDue(gateOpen([hook('confirm-promotion')], 'promotion'))).toBe('confirm-promotion');
    expect(hooksDue(stateFrom(documentWith({ webhooks: [hook('rollback')] }), { phase: 'Progressing', stepIndex: 0, canaryWeight: 10 }))).toBe('rollback');
    expect(hooksDue(stateFrom(documentWith({})))).toBeUndefined();
  });

  it('pre-rollout: the canary is not created until every hook answers 2xx', () => {
    const state = stateFrom(documentWith({ webhooks: [hook('pre-rollout')] }));
    const waiting = decide(state, observe({ canary: { exists: false, available: false }, hooks: answers('pre-rollout', false) }), at(1));
    expect(waiting.state.phase).toBe('Initializing');
    expect(waiting.commands).toEqual([]);
    expect(waiting.state.message).toMatch(/Waiting for pre-rollout hooks/);
    const passed = decide(state, observe({ canary: { exists: false, available: false }, hooks: answers('pre-rollout', true) }), at(1));
    expect(passed.state.hooksPassed).toEqual(['pre-rollout']);
    expect(passed.commands.map((c) => c.type)).toEqual(['EnsureCanary']);
  });

  it('pre-rollout with onFailure reject rolls back', () => {
    const state = stateFrom(documentWith({ webhooks: [hook('pre-rollout', 'reject')] }));
    const next = decide(state, observe({ hooks: answers('pre-rollout', false) }), at(1)).state;
    expect(next).toMatchObject({ phase: 'RollingBack', failure: { reason: 'Rejected' } });
  });

  it('confirm-step hooks make every step a gate, and a 2xx from all of them opens it', () => {
    const start = stateFrom(documentWith({ strategy: steps, webhooks: [hook('confirm-step')] }));
    expect(decide(start, observe(), at(5)).state).toMatchObject({ phase: 'Paused', pause: { reason: 'AwaitingApproval', gate: 0 } });
    const opened = decide(gateOpen([hook('confirm-step')]), observe({ weight: 20, hooks: answers('confirm-step', true) }), at(10));
    expect(opened.state).toMatchObject({ phase: 'Progressing', stepIndex: 1, canaryWeight: 100 });
    expect(opened.state.approvals.at(-1)).toMatchObject({ gate: 1, decision: 'approved', actor: { via: 'webhook' } });
    expect(opened.commands).toEqual([{ type: 'SetCanaryWeight', weight: 100 }]);
  });

  it('a failing confirm hook keeps the gate closed, still analysing; with reject it rolls back', () => {
    const closed = decide(gateOpen([hook('confirm-step')]), observe({ weight: 20, hooks: answers('confirm-step', false), analysis: outcome('fail', 10) }), at(10));
    expect(closed.state).toMatchObject({ phase: 'RollingBack', failure: { reason: 'MetricsFailed' } });
    const waiting = decide(gateOpen([hook('confirm-step')]), observe({ weight: 20, hooks: answers('confirm-step', false), analysis: outcome('pass') }), at(10));
    expect(waiting.state).toMatchObject({ phase: 'Paused', pause: { reason: 'AwaitingApproval' } });
    expect(waiting.state.message).toMatch(/confirm-step hooks: confirm-step-check: 503/);
    const rejected = decide(gateOpen([hook('confirm-step', 'reject')]), observe({ weight: 20, hooks: answers('confirm-step', false) }), at(10));
    expect(rejected.state).toMatchObject({ phase: 'RollingBack', failure: { reason: 'Rejected' } });
  });

  it('a confirm-promotion 2xx promotes', () => {
    const next = decide(gateOpen([hook('confirm-promotion')], 'promotion'), observe({ weight: 100, hooks: answers('confirm-promotion', true) }), at(10)).state;
    expect(next.phase).toBe('Promoting');
  });

  it('a rollback hook answering 2xx rolls back at once; a non-2xx changes nothing', () => {
    const state = stateFrom(documentWith({ webhooks: [hook('rollback')] }), { phase: 'Progressing', stepIndex: 0, canaryWeight: 10, stepStartedAt: at(0).toISOString() });
    expect(decide(state, observe({ weight: 10, hooks: answers('rollback', true) }), at(5)).state).toMatchObject({ phase: 'RollingBack', failure: { reason: 'Aborted' } });
    expect(decide(state, observe({ weight: 10, hooks: answers('rollback', false) }), at(5)).state.phase).toBe('Progressing');
  });

  it('rejects hooks with bad fields, naming them', () => {
    let paths: string[] = [];
    try {
      parseCanaryDeployment(documentWith({ webhooks: [{ name: 'x', type: 'pre-deploy', url: 'ftp://x' }] }));
    } catch (error) {
      if (error instanceof ValidationError) paths = error.details.map((d) => d.path);
    }
    expect(paths).toEqual(['spec.webhooks[0].type', 'spec.webhooks[0].url']);
  });
});
