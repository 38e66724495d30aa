import { describe, expect, it } from 'vitest';
import { decide } from '../../lib/domain/decide.js';
import type { Observation } from '../../lib/domain/commands.js';
import type { RolloutState } from '../../lib/domain/state.js';
import { at, documentWith, exampleDocument, observe, outcome, stateFrom } from '../support/fixtures.js';

const myapp = exampleDocument('myapp');
const step = (index: number, weight: number, startedAt = at(0)): Partial<RolloutState> => ({
  phase: 'Progressing', stepIndex: index, canaryWeight: weight, stepStartedAt: startedAt.toISOString(),
});

interface Row {
  name: string;
  state: RolloutState;
  observation: Observation;
  now: Date;
  phase: RolloutState['phase'];
  weight: number;
  commands: string[];
  pauseReason?: string;
  failure?: string;
  events?: string[];
}

const rows: Row[] = [
  { name: 'Initializing: creates the canary and waits', state: stateFrom(myapp), observation: observe({ canary: { exists: false, available: false } }), now: at(1), phase: 'Initializing', weight: 0, commands: ['EnsureCanary'] },
  { name: 'Initializing → Progressing: canary available, first step applied', state: stateFrom(myapp), observation: observe(), now: at(5), phase: 'Progressing', weight: 10, commands: ['SetCanaryWeight:10'], events: ['CanaryReady', 'StepAdvanced'] },
  { name: 'Initializing → RollingBack: progress deadline passed', state: stateFrom(documentWith({ progressDeadline: '1m' })), observation: observe({ canary: { exists: true, available: false } }), now: at(61), phase: 'RollingBack', weight: 0, commands: [], failure: 'ProgressDeadline' },
  { name: 'Initializing → Paused: Manual strategy waits before step 1', state: stateFrom(documentWith({ strategy: { type: 'Manual', steps: [{ weight: 20, pause: '1m' }, { weight: 100 }] } })), observation: observe(), now: at(5), phase: 'Paused', weight: 0, commands: [], pauseReason: 'AwaitingApproval', events: ['CanaryReady', 'ApprovalRequested'] },
  { name: 'Progressing: healthy inside the pause holds the weight', state: stateFrom(myapp, step(0, 10)), observation: observe({ weight: 10, analysis: outcome('pass') }), now: at(60), phase: 'Progressing', weight: 10, commands: [] },
  { name: 'Progressing → next step: pause over with a passing analysis', state: stateFrom(myapp, step(0, 10)), observation: observe({ weight: 10, analysis: outcome('pass') }), now: at(301), phase: 'Progressing', weight: 50, commands: ['SetCanaryWeight:50'], events: ['Analysis', 'StepAdvanced'] },
  { name: 'Progressing: pause over but inconclusive never advances', state: stateFrom(myapp, step(0, 10)), observation: observe({ weight: 10, analysis: outcome('inconclusive', null) }), now: at(301), phase: 'Progressing', weight: 10, commands: [] },
  { name: 'Progressing → Paused: too many inconclusive analyses', state: stateFrom(myapp, { ...step(0, 10), analysis: { failures: 0, consecutiveInconclusive: 2 } }), observation: observe({ weight: 10, analysis: outcome('inconclusive', null) }), now: at(90), phase: 'Paused', weight: 10, commands: [], pauseReason: 'Inconclusive' },
  { name: 'Progressing → Paused: health in the grey zone', state: stateFrom(myapp, step(0, 10)), observation: observe({ weight: 10, analysis: outcome('grey', 70) }), now: at(30), phase: 'Paused', weight: 10, commands: [], pauseReason: 'HealthGreyZone' },
  { name: 'Paused(grey) → Progressing: health recovered', state: stateFrom(myapp, { ...step(0, 10), phase: 'Paused', pause: { reason: 'HealthGreyZone', since: at(30).toISOString(), message: '' } }), observation: observe({ weight: 10, analysis: outcome('pass') }), now: at(60), phase: 'Progressing', weight: 10, commands: [], events: ['Analysis', 'Resumed'] },
  { name: 'Progressing → RollingBack: failing analysis, at once', state: stateFrom(myapp, step(0, 10)), observation: observe({ weight: 10, analysis: outcome('fail', 20) }), now: at(30), phase: 'RollingBack', weight: 0, commands: [], failure: 'MetricsFailed' },
  { name: 'Progressing: failure within failureLimit holds', state: stateFrom(documentWith({ analysis: { failureLimit: 1 } }), step(0, 10)), observation: observe({ weight: 10, analysis: outcome('fail', 20) }), now: at(30), phase: 'Progressing', weight: 10, commands: [] },
  { name: 'Progressing → RollingBack: health score < 60 rolls back with onMetricsFail off too', state: stateFrom(documentWith({ autoRollback: { onMetricsFail: false } }), step(0, 10)), observation: observe({ weight: 10, analysis: outcome('fail', 45) }), now: at(30), phase: 'RollingBack', weight: 0, commands: [], failure: 'MetricsFailed' },
  { name: 'Progressing → Paused: a metric approaching its threshold (grey) pauses with onMetricsFail off', state: stateFrom(documentWith({ autoRollback: { onMetricsFail: false } }), step(0, 10)), observation: observe({ weight: 10, analysis: outcome('grey', 84) }), now: at(30), phase: 'Paused', weight: 10, commands: [], pauseReason: 'HealthGreyZone' },
  { name: 'Progressing → Paused: failing analysis with auto-rollback off', state: stateFrom(documentWith({ autoRollback: { enabled: false } }), step(0, 10)), observation: observe({ weight: 10, analysis: outcome('fail', 20) }), now: at(30), phase: 'Paused', weight: 10, commands: [], pauseReason: 'HealthGreyZone' },
  { name: 'Progressing → RollingBack: crashing canary pod', state: stateFrom(myapp, step(0, 10)), observation: observe({ weight: 10, canary: { exists: true, available: false, crash: { pod: 'myapp-canary-x', reason: 'CrashLoopBackOff', restarts: 3 } } }), now: at(30), phase: 'RollingBack', weight: 0, commands: [], failure: 'PodCrash' },
  { name: 'Progressing: crash ignored when onPodCrash is off', state: stateFrom(documentWith({ autoRollback: { onPodCrash: false } }), step(0, 10)), observation: observe({ weight: 10, canary: { exists: true, available: false, crash: { pod: 'p', reason: 'OOMKilled', restarts: 1 } } }), now: at(30), phase: 'Progressing', weight: 10, commands: [] },
  { name: 'Progressing: a drifted weight is put back', state: stateFrom(myapp, step(1, 50)), observation: observe({ weight: 10 }), now: at(30), phase: 'Progressing', weight: 50, commands: ['SetCanaryWeight:50'] },
  { name: 'Progressing → last step: 100% to the canary', state: stateFrom(myapp, step(1, 50)), observation: observe({ weight: 50, analysis: outcome('pass') }), now: at(601), phase: 'Progressing', weight: 100, commands: ['SetCanaryWeight:100'] },
  { name: 'Progressing(100%) → Promoting', state: stateFrom(myapp, step(2, 100)), observation: observe({ weight: 100 }), now: at(1), phase: 'Promoting', weight: 100, commands: [], events: ['PromotionStarted'] },
  { name: 'Progressing → Paused: promotion needs approval', state: stateFrom(documentWith({ approvals: { beforePromotion: true } }), step(2, 100)), observation: observe({ weight: 100 }), now: at(1), phase: 'Paused', weight: 100, commands: [], pauseReason: 'AwaitingApproval' },
  { name: 'Paused(approval): failing analysis still rolls back', state: stateFrom(documentWith({ strategy: { type: 'Manual' } }), { ...step(0, 5), phase: 'Paused', pause: { reason: 'AwaitingApproval', since: at(0).toISOString(), message: '', gate: 1 } }), observation: observe({ weight: 5, analysis: outcome('fail', 10) }), now: at(30), phase: 'RollingBack', weight: 0, commands: [], failure: 'MetricsFailed' },
  { name: 'Paused(approval) → RollingBack: approval timed out with onTimeout reject', state: stateFrom(documentWith({ strategy: { type: 'Manual' }, approvals: { timeout: '1m', onTimeout: 'reject' } }), { ...step(0, 5), phase: 'Paused', pause: { reason: 'AwaitingApproval', since: at(0).toISOString(), message: '', gate: 1 } }), observation: observe({ weight: 5, analysis: outcome('pass') }), now: at(61), phase: 'RollingBack', weight: 0, commands: [], failure: 'Rejected' },
  { name: 'Paused(approval): keeps waiting with onTimeout wait', state: stateFrom(documentWith({ strategy: { type: 'Manual' }, approvals: { timeout: '1m' } }), { ...step(0, 5), phase: 'Paused', pause: { reason: 'AwaitingApproval', since: at(0).toISOString(), message: '', gate: 1 } }), observation: observe({ weight: 5, analysis: outcome('pass') }), now: at(61), phase: 'Paused', weight: 5, commands: [], pauseReason: 'AwaitingApproval' },
  { name: 'Promoting: target gets the canary image once all traffic is on the canary', state: stateFrom(myapp, { ...step(2, 100), phase: 'Promoting' }), observation: observe({ weight: 100 }), now: at(5), phase: 'Promoting', weight: 100, commands: ['SetStableImage'] },
  { name: 'Promoting: all traffic to the canary first', state: stateFrom(myapp, { ...step(1, 50), phase: 'Promoting' }), observation: observe({ weight: 50 }), now: at(5), phase: 'Promoting', weight: 100, commands: ['SetCanaryWeight:100'] },
  { name: 'Promoting: traffic back to the promoted target, read back before anything else', state: stateFrom(myapp, { ...step(2, 100), phase: 'Promoting' }), observation: observe({ weight: 100, stable: { exists: true, image: 'myapp:v2.0.0', available: true, replicas: 2 } }), now: at(9), phase: 'Promoting', weight: 0, commands: ['SetCanaryWeight:0'] },
  { name: 'Promoting: traffic confirmed off the canary starts the drain', state: stateFrom(myapp, { ...step(2, 0), phase: 'Promoting' }), observation: observe({ weight: 0, stable: { exists: true, image: 'myapp:v2.0.0', available: true, replicas: 2 } }), now: at(10), phase: 'Promoting', weight: 0, commands: [] },
  { name: 'Promoting: after the drain the canary is deleted', state: stateFrom(myapp, { ...step(2, 0), phase: 'Promoting', trafficOffAt: at(10).toISOString() }), observation: observe({ weight: 0, stable: { exists: true, image: 'myapp:v2.0.0', available: true, replicas: 2 } }), now: at(41), phase: 'Promoting', weight: 0, commands: ['DeleteCanary'] },
  { name: 'Promoting → Completed: only once the cluster shows the canary gone and stable restored', state: stateFrom(myapp, { ...step(2, 0), phase: 'Promoting', trafficOffAt: at(10).toISOString() }), observation: observe({ weight: 0, canary: { exists: false, available: false }, stableNarrowed: false, stable: { exists: true, image: 'myapp:v2.0.0', available: true, replicas: 2 } }), now: at(43), phase: 'Completed', weight: 0, commands: [], events: ['Completed'] },
  { name: 'RollingBack: traffic to stable first', state: stateFrom(myapp, { ...step(0, 0), phase: 'RollingBack', failure: { reason: 'Aborted', message: 'aborted' } }), observation: observe({ weight: 10 }), now: at(5), phase: 'RollingBack', weight: 0, commands: ['SetCanaryWeight:0'], failure: 'Aborted' },
  { name: 'RollingBack: canary kept for the drain after traffic is confirmed off', state: stateFrom(myapp, { ...step(0, 0), phase: 'RollingBack', failure: { reason: 'Aborted', message: 'aborted' }, trafficOffAt: at(5).toISOString() }), observation: observe({ weight: 0 }), now: at(20), phase: 'RollingBack', weight: 0, commands: [], failure: 'Aborted' },
  { name: 'RollingBack: canary deleted after the drain', state: stateFrom(myapp, { ...step(0, 0), phase: 'RollingBack', failure: { reason: 'Aborted', message: 'aborted' }, trafficOffAt: at(5).toISOString() }), observation: observe({ weight: 0 }), now: at(36), phase: 'RollingBack', weight: 0, commands: ['DeleteCanary'], failure: 'Aborted' },
  { name: 'RollingBack → Failed: RolledBack recorded once the cluster confirms', state: stateFrom(myapp, { ...step(0, 0), phase: 'RollingBack', failure: { reason: 'Aborted', message: 'aborted' }, trafficOffAt: at(5).toISOString() }), observation: observe({ weight: 0, canary: { exists: false, available: false }, stableNarrowed: false }), now: at(37), phase: 'Failed', weight: 0, commands: [], failure: 'Aborted', events: ['RolledBack'] },
  { name: 'Completed: terminal, nothing happens', state: stateFrom(myapp, { phase: 'Completed' }), observation: observe(), now: at(5), phase: 'Completed', weight: 0, commands: [] },
  { name: 'Failed: terminal, nothing happens', state: stateFrom(myapp, { phase: 'Failed', failure: { reason: 'Aborted', message: '' } }), observation: observe(), now: at(5), phase: 'Failed', weight: 0, commands: [], failure: 'Aborted' },
];

const label = (c: { type: string; weight?: number }): string => (c.type === 'SetCanaryWeight' ? `SetCanaryWeight:${c.weight}` : c.type);

describe('decide()', () => {
  it.each(rows)('$name', (row) => {
    const { state, commands, events } = decide(row.state, row.observation, row.now);
    expect(state.phase).toBe(row.phase);
    expect(state.canaryWeight).toBe(row.weight);
    expect(commands.map(label)).toEqual(row.commands);
    if (row.pauseReason) expect(state.pause?.reason).toBe(row.pauseReason);
    if (row.failure) expect(state.failure?.reason).toBe(row.failure);
    if (row.events) expect(events.map((e) => e.type)).toEqual(row.events);
  });

  it('schedules the next tick at the analysis interval, or the end of the pause if sooner', () => {
    const state = stateFrom(documentWith({ analysis: { interval: '30s' } }), step(0, 10));
    expect(decide(state, observe({ weight: 10, analysis: outcome('pass') }), at(10)).state.nextTickAt).toBe(at(40).toISOString());
    expect(decide(state, observe({ weight: 10, analysis: outcome('pass') }), at(290)).state.nextTickAt).toBe(at(300).toISOString());
  });

  it('is pure: the same inputs give the same decision and the input is not changed', () => {
    const state = stateFrom(myapp, step(0, 10));
    const frozen = structuredClone(state);
    const first = decide(state, observe({ weight: 10, analysis: outcome('pass') }), at(301));
    expect(decide(state, observe({ weight: 10, analysis: outcome('pass') }), at(301))).toEqual(first);
    expect(state).toEqual(frozen);
  });

  it('clears the schedule once terminal', () => {
    const state = stateFrom(myapp, { ...step(0, 0), phase: 'RollingBack', failure: { reason: 'Aborted', message: '' }, trafficOffAt: at(0).toISOString() });
    expect(decide(state, observe({ canary: { exists: false, available: false }, stableNarrowed: false }), at(31)).state.nextTickAt).toBeUndefined();
  });
});
