import { expect } from 'vitest';
import { startRollout } from '../../lib/app/start-rollout.js';
import { OVERDUE_GRACE_MS } from '../../lib/app/sweep-overdue.js';
import { verifyRolloutAudit } from '../../lib/app/verify-audit.js';
import type { RolloutState } from '../../lib/domain/state.js';
import type { EngineHarness } from '../support/engine-harness.js';
import { documentWith } from '../support/fixtures.js';

/** The sweeper's schedule: every minute (serverless.yml `rate(1 minute)`). */
export const SWEEPER_PERIOD_MS = 60_000;
/**
 * Engine time runs this many times faster than the wall clock. Kept low on purpose: SQS's real-time
 * costs (a 1 s long poll per hop, the 2 s visibility timeout before a redelivery) are multiplied by it
 * in engine time, so a high factor would make the one-sweeper-period bar stricter than production.
 */
export const TIME_FACTOR = 3;
const api = { id: 'fault-tester', via: 'api' } as const;

export const isTerminalPhase = (s: RolloutState): boolean => s.phase === 'Completed' || s.phase === 'Failed';

/** A short rollout on the fake cluster: 50% then 100%, no pauses, analysis every `interval`, a 6 s drain. */
export async function startShortRollout(engine: EngineHarness, target: string, spec: Record<string, unknown> = {}, namespace = 'production'): Promise<RolloutState> {
  const doc = documentWith({
    targetDeployment: target, canaryVersion: `${target}:v2`,
    strategy: { type: 'Linear', steps: [{ weight: 50, pause: '0s' }, { weight: 100, pause: '0s' }] },
    analysis: { interval: '2s' }, scaleDownDelay: '6s', ...spec,
  }, { name: target, namespace });
  return startRollout(engine.deps, { document: doc, actor: api });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The recovery bar after a fault clears. The sweeper runs on its minute schedule; the first run that
 * can see a lost tick is one grace period after the fault cleared (a tick counts as lost only once it
 * is OVERDUE_GRACE_MS late), and every rollout must be settled before the run after that — within one
 * sweeper period. Engine time is the harness's (warped) clock, so the wait in real time is short.
 * Returns the settled states; fails naming every rollout that is not settled in time.
 */
export async function settleWithinOneSweeperPeriod(engine: EngineHarness, ids: string[], settled: (s: RolloutState) => boolean = isTerminalPhase): Promise<RolloutState[]> {
  const clock = engine.deps.clock;
  const clearedAt = clock.now().getTime();
  const deadline = clearedAt + OVERDUE_GRACE_MS + SWEEPER_PERIOD_MS;
  let nextSweep = clearedAt + OVERDUE_GRACE_MS;
  let sweeps = 0;
  for (;;) {
    const states = await Promise.all(ids.map(async (id) => (await engine.store.get(id))!));
    if (states.every(settled)) return states;
    const now = clock.now().getTime();
    if (now > deadline) {
      const open = states.filter((s) => !settled(s)).map((s) => `${s.spec.targetDeployment}=${s.phase} (seq ${s.tickSeq}, due ${s.nextTickAt}: ${s.message})`);
      throw new Error(`not settled within one sweeper period after the fault cleared at ${new Date(clearedAt).toISOString()} (${sweeps} sweep(s), now ${new Date(now).toISOString()}): ${open.join(', ')}`);
    }
    if (now >= nextSweep) {
      await engine.sweep();
      sweeps++;
      nextSweep += SWEEPER_PERIOD_MS;
    }
    await sleep(100);
  }
}

/**
 * The three invariants after any fault: the cluster's weights match the phase, the audit trail verifies
 * (positions contiguous, hash chain intact, ending where the rollout says), and each decision was
 * recorded once (no step entered twice, at most one end).
 */
export async function expectConsistent(engine: EngineHarness, state: RolloutState, stableImage: string): Promise<void> {
  const { spec } = state;
  const workload = engine.cluster.workloads.get(`${spec.namespace}/${spec.targetDeployment}`);
  const where = `${spec.targetDeployment} (${state.phase})`;
  if (state.phase === 'Completed') {
    expect(workload, where).toMatchObject({ weight: 0, stableImage: spec.canaryImage });
    expect(workload?.canary, `${where}: canary deleted`).toBeUndefined();
    expect(workload?.narrowedBy, `${where}: stable selection restored`).toBeUndefined();
  } else if (state.phase === 'Failed') {
    expect(workload, where).toMatchObject({ weight: 0, stableImage });
    expect(workload?.canary, `${where}: canary deleted`).toBeUndefined();
    expect(workload?.narrowedBy, `${where}: stable selection restored`).toBeUndefined();
  } else if (state.phase === 'Paused') {
    expect(workload?.weight, where).toBe(spec.steps[state.stepIndex]?.weight);
    expect(workload?.stableImage, where).toBe(stableImage);
  } else {
    throw new Error(`${where} is neither terminal nor paused`);
  }
  await expectAuditIntact(engine, state.id);
}

export async function expectAuditIntact(engine: EngineHarness, id: string): Promise<void> {
  const verdict = await verifyRolloutAudit(engine.deps, id);
  expect(verdict, `audit of ${id}`).toMatchObject({ valid: true });
  const events = await engine.deps.audit.events(id);
  expect(events.map((e) => e.position)).toEqual(events.map((_, i) => i + 1));
  const steps = events.filter((e) => e.type === 'StepAdvanced').map((e) => (e.data as { step: number }).step);
  expect(new Set(steps).size, `${id}: a step entered twice: ${steps.join(',')}`).toBe(steps.length);
  expect(events.filter((e) => e.type === 'Completed' || e.type === 'RolledBack').length).toBeLessThanOrEqual(1);
}
