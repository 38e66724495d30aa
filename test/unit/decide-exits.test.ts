import { describe, expect, it } from 'vitest';
import type { Command, Observation } from '../../lib/domain/commands.js';
import { decide } from '../../lib/domain/decide.js';
import { MAX_IMAGE_PATCHES } from '../../lib/domain/exits.js';
import { analyse } from '../../lib/domain/analysis.js';
import { value } from '../../lib/domain/measurement.js';
import type { RolloutState } from '../../lib/domain/state.js';
import { at, documentWith, exampleDocument, observe, outcome, stateFrom } from '../support/fixtures.js';

/**
 * The ways out of a rollout (promotion, rollback) and the hand edits that end or hold one, decided from
 * what the cluster shows. Each row is one tick: state + observation + time → phase, weight, commands.
 */
const myapp = exampleDocument('myapp');
const target = { image: 'myapp:v1', templateHash: 't1', replicas: 2 };
const promoted = { exists: true, image: 'myapp:v2.0.0', available: true, replicas: 2, templateHash: 't2' };
const gone = { canary: { exists: false, available: false }, stableNarrowed: false };
const rollingBackFrom = (patch: Partial<RolloutState> = {}): RolloutState =>
  stateFrom(myapp, { phase: 'RollingBack', stepIndex: 2, canaryWeight: 0, target, failure: { reason: 'Aborted', message: 'aborted by alice' }, ...patch });
const promotingFrom = (patch: Partial<RolloutState> = {}): RolloutState =>
  stateFrom(myapp, { phase: 'Promoting', stepIndex: 2, canaryWeight: 100, target, ...patch });

interface Row {
  name: string;
  state: RolloutState;
  observation: Observation;
  now: Date;
  phase: RolloutState['phase'];
  weight?: number;
  commands: string[];
  failure?: string;
  pauseReason?: string;
  events?: string[];
  message?: RegExp;
}

const label = (c: Command): string => (c.type === 'SetCanaryWeight' ? `SetCanaryWeight:${c.weight}` : c.type === 'SetStableImage' ? `SetStableImage:${c.image}` : c.type === 'EnsureCanary' ? `EnsureCanary:${c.replicas}` : c.type);

const rows: Row[] = [
  // Undo promotion on rollback (issue 12 point 3)
  { name: 'abort mid-promotion: the previous image comes back first, traffic stays on the canary', state: rollingBackFrom({ promotion: { patches: 1 } }), observation: observe({ weight: 100, stable: { ...promoted, available: false } }), now: at(5), phase: 'RollingBack', weight: 100, commands: ['SetStableImage:myapp:v1'] },
  { name: 'abort mid-promotion: waits for the previous image to be available before moving traffic', state: rollingBackFrom({ promotion: { patches: 1 } }), observation: observe({ weight: 100, stable: { ...target, exists: true, available: false } }), now: at(7), phase: 'RollingBack', weight: 100, commands: [] },
  { name: 'abort mid-promotion: previous image available, then traffic to stable', state: rollingBackFrom({ promotion: { patches: 1 } }), observation: observe({ weight: 100, stable: { ...target, exists: true, available: true } }), now: at(9), phase: 'RollingBack', weight: 0, commands: ['SetCanaryWeight:0'] },
  { name: 'a rollback before promotion leaves a hand-edited target alone', state: rollingBackFrom(), observation: observe({ weight: 10, stable: { exists: true, image: 'myapp:hotfix', available: true, replicas: 2 } }), now: at(5), phase: 'RollingBack', weight: 0, commands: ['SetCanaryWeight:0'] },
  // Promotion deadline (point 4)
  { name: 'the target reports ProgressDeadlineExceeded: PromotionFailed, traffic untouched on this tick', state: promotingFrom({ promotion: { patches: 1 } }), observation: observe({ weight: 100, stable: { ...promoted, available: false, failed: 'ProgressDeadlineExceeded: ReplicaSet "myapp-7d9" has timed out progressing' } }), now: at(30), phase: 'RollingBack', commands: [], failure: 'PromotionFailed', events: ['PromotionFailed', 'RollbackStarted'], message: /ProgressDeadlineExceeded/ },
  { name: 'the target does not finish within progressDeadline: PromotionFailed', state: promotingFrom({ promotion: { patches: 1 } }), observation: observe({ weight: 100, stable: { ...promoted, available: false } }), now: at(601), phase: 'RollingBack', commands: [], failure: 'PromotionFailed', message: /progress deadline/ },
  { name: 'a promotion that fails keeps traffic on the canary while the previous image returns', state: rollingBackFrom({ promotion: { patches: 1 }, failure: { reason: 'PromotionFailed', message: 'x' }, phaseSince: at(601).toISOString() }), observation: observe({ weight: 100, stable: { ...promoted, available: false } }), now: at(602), phase: 'RollingBack', weight: 100, commands: ['SetStableImage:myapp:v1'] },
  // Promotion fights another writer (point 8)
  { name: `another writer reverting the image ${MAX_IMAGE_PATCHES} times fails the promotion naming its field manager`, state: promotingFrom({ promotion: { patches: MAX_IMAGE_PATCHES } }), observation: observe({ weight: 100, stable: { exists: true, image: 'myapp:v1', available: true, replicas: 2, imageManager: 'argocd-controller' } }), now: at(20), phase: 'RollingBack', commands: [], failure: 'PromotionFailed', message: /field manager "argocd-controller"/ },
  { name: 'a revert under the bound is patched again', state: promotingFrom({ promotion: { patches: 1 } }), observation: observe({ weight: 100, stable: { exists: true, image: 'myapp:v1', available: true, replicas: 2, imageManager: 'argocd-controller' } }), now: at(20), phase: 'Promoting', weight: 100, commands: ['SetStableImage:myapp:v2.0.0'] },
  // Rollback always finishes (point 5)
  { name: 'a missing target at the first tick: Failed at once, nothing to undo, naming it', state: stateFrom(myapp), observation: observe({ ...gone, weight: 0, stable: { exists: false, available: false }, missing: ['Deployment production/myapp'] }), now: at(1), phase: 'Failed', commands: [], failure: 'ClusterError', events: ['RollbackStarted', 'RolledBack'], message: /Deployment production\/myapp not found/ },
  { name: 'a missing target while rolling back: traffic still comes off the canary', state: rollingBackFrom(), observation: observe({ weight: 25, stable: { exists: false, available: false }, missing: ['Deployment production/myapp'] }), now: at(5), phase: 'RollingBack', weight: 0, commands: ['SetCanaryWeight:0'] },
  { name: 'a missing traffic object while rolling back: no drain, the canary is deleted at once', state: rollingBackFrom(), observation: observe({ weight: undefined, missing: ['VirtualService production/myapp'] }), now: at(5), phase: 'RollingBack', weight: 0, commands: ['DeleteCanary'] },
  { name: 'missing target and traffic object, canary gone: Failed on this tick, saying what was missing', state: rollingBackFrom(), observation: observe({ ...gone, weight: undefined, stable: { exists: false, available: false }, missing: ['Deployment production/myapp', 'VirtualService production/myapp'] }), now: at(5), phase: 'Failed', commands: [], events: ['RolledBack'] },
  // Know what is ours (point 7)
  { name: 'a canary not created by Codedance: never adopted, the rollout ends with the fix', state: stateFrom(myapp), observation: observe({ ...gone, weight: 0, foreign: ['Deployment production/myapp-canary (not created by Codedance)'] }), now: at(1), phase: 'Failed', commands: [], failure: 'ClusterError', message: /not created by Codedance/ },
  // Hand edits (point 8)
  { name: 'a canary deleted by hand: CanaryDeleted', state: stateFrom(myapp, { phase: 'Progressing', stepIndex: 0, canaryWeight: 10, stepStartedAt: at(0).toISOString(), target }), observation: observe({ weight: 10, canary: { exists: false, available: false } }), now: at(30), phase: 'RollingBack', commands: [], failure: 'CanaryDeleted' },
  { name: 'a target template changed by hand: paused TargetChanged', state: stateFrom(myapp, { phase: 'Progressing', stepIndex: 0, canaryWeight: 10, stepStartedAt: at(0).toISOString(), target }), observation: observe({ weight: 10, stable: { exists: true, image: 'myapp:v1', available: true, replicas: 2, templateHash: 't9' }, analysis: outcome('pass') }), now: at(30), phase: 'Paused', weight: 10, commands: [], pauseReason: 'TargetChanged', events: ['TargetChanged'] },
  { name: 'paused TargetChanged: a passing analysis does not resume it', state: stateFrom(myapp, { phase: 'Paused', pause: { reason: 'TargetChanged', since: at(30).toISOString(), message: '' }, stepIndex: 0, canaryWeight: 10, stepStartedAt: at(0).toISOString(), target }), observation: observe({ weight: 10, stable: { exists: true, image: 'myapp:v1', available: true, replicas: 2, templateHash: 't9' }, analysis: outcome('pass') }), now: at(400), phase: 'Paused', weight: 10, commands: [], pauseReason: 'TargetChanged' },
  // Capacity (point 9)
  { name: 'Proportional: canary capacity is added before its weight', state: stateFrom(documentWith({ canaryScale: { type: 'Proportional' } }), { phase: 'Progressing', stepIndex: 0, canaryWeight: 10, stepStartedAt: at(0).toISOString(), target }), observation: observe({ weight: 10, canary: { exists: true, available: true, replicas: 1 }, stable: { exists: true, image: 'myapp:v1', available: true, replicas: 10, templateHash: 't1' }, analysis: outcome('pass') }), now: at(301), phase: 'Progressing', weight: 50, commands: ['EnsureCanary:5', 'SetCanaryWeight:50'] },
  { name: 'Fixed: the canary runs the given replicas', state: stateFrom(documentWith({ canaryScale: { type: 'Fixed', replicas: 3 } })), observation: observe({ ...gone, weight: 0 }), now: at(1), phase: 'Initializing', weight: 0, commands: ['EnsureCanary:3'] },
  { name: 'MatchTarget (default): the canary runs as many replicas as the target', state: stateFrom(myapp), observation: observe({ ...gone, weight: 0, stable: { exists: true, image: 'myapp:v1', available: true, replicas: 4 } }), now: at(1), phase: 'Initializing', weight: 0, commands: ['EnsureCanary:4'] },
];

describe('decide(): promotion, rollback and hand edits', () => {
  it.each(rows)('$name', (row) => {
    // Act
    const { state, commands, events } = decide(row.state, row.observation, row.now);

    // Assess
    expect(state.phase).toBe(row.phase);
    expect(commands.map(label)).toEqual(row.commands);
    if (row.weight !== undefined) expect(state.canaryWeight).toBe(row.weight);
    if (row.failure) expect(state.failure?.reason).toBe(row.failure);
    if (row.pauseReason) expect(state.pause?.reason).toBe(row.pauseReason);
    if (row.events) expect(events.map((e) => e.type)).toEqual(row.events);
    if (row.message) expect(state.message).toMatch(row.message);
  });

  it('a previous image that does not come back within the deadline ends the rollback as incomplete, canary kept', () => {
    // Act
    const { state, events, commands } = decide(rollingBackFrom({ promotion: { patches: 1 } }), observe({ weight: 100, stable: { ...target, exists: true, available: false } }), at(700));

    // Assess
    expect(state.phase).toBe('Failed');
    expect(commands).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['RollbackIncomplete']);
    expect(state.message).toMatch(/traffic stays 100% on the canary, which is kept/);
  });

  it('records the target as first seen, so a rollback after promotion knows the image to restore', () => {
    // Act
    const { state } = decide(stateFrom(myapp), observe({ ...gone, weight: 0 }), at(1));

    // Assess
    expect(state.target).toEqual({ image: 'myapp:v1', templateHash: 't1', replicas: 2 });
  });

  it('a whole promotion, tick by tick, ends Completed only after the drain and the cleanup are confirmed', () => {
    // Prepare: a tiny simulated cluster that does what each command asks
    const world = { weight: 100, image: 'myapp:v1', available: true, canary: true, narrowed: true };
    let state = promotingFrom();
    let t = 0;
    const seen: string[] = [];

    // Act
    for (let i = 0; i < 30 && state.phase === 'Promoting'; i++) {
      const observation = observe({ weight: world.weight, canary: { exists: world.canary, available: world.canary, replicas: 2 }, stableNarrowed: world.narrowed, stable: { exists: true, image: world.image, available: world.available, replicas: 2 } });
      const decision = decide(state, observation, at(t));
      for (const c of decision.commands) {
        seen.push(label(c));
        if (c.type === 'SetCanaryWeight') world.weight = c.weight;
        if (c.type === 'SetStableImage') world.image = c.image;
        if (c.type === 'DeleteCanary') { world.canary = false; world.narrowed = false; world.weight = 0; }
      }
      state = decision.state;
      t = Math.max(t + 2, state.nextTickAt ? (Date.parse(state.nextTickAt) - at(0).getTime()) / 1000 : t + 2);
    }

    // Assess
    expect(state.phase).toBe('Completed');
    expect(seen).toEqual(['SetStableImage:myapp:v2.0.0', 'SetCanaryWeight:0', 'DeleteCanary']);
    expect(Date.parse(state.updatedAt) - Date.parse(state.trafficOffAt ?? '')).toBeGreaterThanOrEqual(30_000);
  });
});

describe('the health score decides, as the product description says (analysis → decide)', () => {
  const measured = (errorRate: number) => ({ requests: value(1000), successRate: value(100 - errorRate), errorRate: value(errorRate), latencyMs: { p50: value(20), p90: value(40), p99: value(100) }, custom: {} });
  const zones: Array<[string, number, boolean, RolloutState['phase']]> = [
    ['healthy (0.5 % errors) continues, onMetricsFail on', 0.5, true, 'Progressing'],
    ['healthy (0.5 % errors) continues, onMetricsFail off', 0.5, false, 'Progressing'],
    ['approaching (0.9 % errors of 1 %) pauses, onMetricsFail on', 0.9, true, 'Paused'],
    ['approaching (0.9 % errors of 1 %) pauses, onMetricsFail off', 0.9, false, 'Paused'],
    ['a small breach (1.1 %) rolls back at once, onMetricsFail on', 1.1, true, 'RollingBack'],
    ['a small breach (1.1 %) scores ≥ 60 overall and pauses, onMetricsFail off', 1.1, false, 'Paused'],
    ['a large breach (3 %) rolls back, onMetricsFail on', 3, true, 'RollingBack'],
    ['a large breach (3 %) scores < 60 and rolls back, onMetricsFail off', 3, false, 'RollingBack'],
  ];
  it.each(zones)('%s', (_name, errorRate, onMetricsFail, phase) => {
    // Prepare
    const doc = documentWith({ autoRollback: { onMetricsFail } });
    const state = stateFrom(doc, { phase: 'Progressing', stepIndex: 0, canaryWeight: 10, stepStartedAt: at(0).toISOString(), target });
    const analysis = analyse(measured(errorRate), { thresholds: state.spec.thresholds, weights: state.spec.scoreWeights, minRequests: 20, hardFailOnBreach: onMetricsFail });

    // Act
    const { state: next } = decide(state, observe({ weight: 10, analysis }), at(30));

    // Assess
    expect(next.phase).toBe(phase);
  });
});
