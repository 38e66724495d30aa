import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultPoint } from '../../lib/app/dependencies.js';
import type { RolloutState } from '../../lib/domain/state.js';
import { startEngineHarness, waitUntil, type EngineHarness } from '../support/engine-harness.js';
import { expectConsistent, settleWithinOneSweeperPeriod, startShortRollout, TIME_FACTOR } from './fault-helpers.js';

/**
 * A process crash at every side-effect boundary of every tick of a rollout. The rollout (50% → 100% →
 * promote) takes nine ticks: seq 0 creates the canary, 1 and 2 set 50 and 100, 3 commits Promoting (no
 * effect: a decided transition is saved before its first effect), 4 sets the target's image, 5 moves
 * traffic back to the promoted target, 6 confirms it and starts the drain, 7 deletes the canary after the
 * drain, 8 confirms and completes. Rollback cases see their canary crash-loop once 50% is saved: seq 2
 * commits RollingBack, 3 sets weight 0, 4 starts the drain, 5 deletes the canary, 6 ends Failed.
 * "Transient" cases see the crash-loop only while tick 2 decides, as a cause that stops recurring after
 * the process crash would: a rollback not yet saved must not have moved any traffic, and one that was
 * saved must finish, so the weight never goes 50 → 0 → 50. Each case is one rollout that crashes exactly
 * once, at its tick and point; all run at once on the real handlers, DynamoDB Local and SQS, with SQS
 * redelivery and the sweeper as the only ways back.
 */
interface Case { seq: number; point: FaultPoint; write?: number; rollback?: 'lasting' | 'transient' }
const POINTS: FaultPoint[] = ['after-cluster-write', 'after-effects', 'after-save', 'after-enqueue'];
/** Ticks without a cluster write have no after-cluster-write boundary. */
const boundaries = (seq: number, rollback?: Case['rollback'], writes = true): Case[] =>
  POINTS.filter((point) => writes || point !== 'after-cluster-write').map((point) => ({ seq, point, ...(point === 'after-cluster-write' ? { write: 1 } : {}), ...(rollback ? { rollback } : {}) }));
const CASES: Case[] = [
  ...[0, 1, 2, 4, 5, 7].flatMap((seq) => boundaries(seq)),
  ...[3, 6, 8].flatMap((seq) => boundaries(seq, undefined, false)),
  ...boundaries(2, 'lasting', false),
  ...[3, 5].flatMap((seq) => boundaries(seq, 'lasting')),
  ...boundaries(2, 'transient', false),
];
const label = (c: Case): string => `${c.rollback ? `${c.rollback} rollback ` : ''}seq ${c.seq} ${c.point}${c.write ? ` #${c.write}` : ''}`;

describe('a crash at every side-effect boundary of a tick', () => {
  let engine: EngineHarness;
  const crashed = new Map<string, string>();
  const caseOf = new Map<string, Case>();
  const settled = new Map<string, RolloutState>();
  const rollouts = new Map<string, RolloutState>();

  beforeAll(async () => {
    engine = await startEngineHarness({ timeFactor: TIME_FACTOR });
    const writes = new Map<string, number>();
    engine.deps.faults = {
      before(point, tick) {
        const planned = caseOf.get(tick.rolloutId);
        const rollout = rollouts.get(tick.rolloutId);
        if (planned?.rollback && rollout && point === 'after-save' && tick.seq === 1) {
          // Not a process crash: the canary's pods start crash-looping once 50% is recorded.
          engine.cluster.crash(rollout.spec.namespace, rollout.spec.targetDeployment, { pod: `${rollout.spec.targetDeployment}-canary-0`, reason: 'CrashLoopBackOff', restarts: 5 });
        }
        if (planned?.rollback === 'transient' && rollout && point === 'after-effects' && tick.seq === 2) {
          // The cause goes away right after tick 2 decided: a redelivered tick 2 sees healthy pods.
          delete engine.cluster.workload(rollout.spec).crash;
        }
        if (!planned || crashed.has(tick.rolloutId) || tick.seq !== planned.seq) return;
        if (point === 'after-cluster-write') {
          const key = `${tick.rolloutId}/${tick.seq}`;
          writes.set(key, (writes.get(key) ?? 0) + 1);
          if (planned.point !== point || writes.get(key) !== planned.write) return;
        } else if (point !== planned.point) {
          return;
        }
        crashed.set(tick.rolloutId, label(planned));
        throw new Error(`injected crash: ${label(planned)}`);
      },
    };
    await engine.startPollers();
    const started = await Promise.all(CASES.map(async (c, i) => {
      const rollout = await startShortRollout(engine, `crash-${i}`);
      caseOf.set(rollout.id, c);
      rollouts.set(rollout.id, rollout);
      return rollout;
    }));
    // The fault "clears" once every planned crash has happened; from then on nothing else fails.
    await waitUntil('every planned crash', async () => crashed.size === CASES.length, 90_000);
    const states = await settleWithinOneSweeperPeriod(engine, started.map((s) => s.id));
    for (const s of states) settled.set(caseOf.get(s.id) ? label(caseOf.get(s.id)!) : s.id, s);
  }, 180_000);

  afterAll(async () => {
    if (engine) engine.deps.faults = undefined;
    await engine?.stop();
  });

  it.each(CASES.filter((c) => !c.rollback).map((c) => [label(c)]))('%s: completes with 100%% on the new stable image and an intact audit trail', async (name) => {
    const state = settled.get(name);
    expect(state?.phase).toBe('Completed');
    expect([...crashed.values()]).toContain(name);
    await expectConsistent(engine, state!, `${state!.spec.targetDeployment}:v1`);
    // The walk the cluster saw: no weight repeated out of order, ending at 0 (all traffic on stable).
    const walk = engine.cluster.weightHistory.get(`${state!.spec.namespace}/${state!.spec.targetDeployment}`);
    expect(walk).toEqual([50, 100, 0]);
  });

  it.each(CASES.filter((c) => c.rollback === 'lasting').map((c) => [label(c)]))('%s: ends Failed (PodCrash) with 100%% stable, the canary deleted, an intact audit trail', async (name) => {
    const state = settled.get(name);
    expect(state).toMatchObject({ phase: 'Failed', failure: { reason: 'PodCrash' } });
    expect([...crashed.values()]).toContain(name);
    await expectConsistent(engine, state!, `${state!.spec.targetDeployment}:v1`);
    expect(engine.cluster.weightHistory.get(`${state!.spec.namespace}/${state!.spec.targetDeployment}`)).toEqual([50, 0]);
    const types = (await engine.deps.audit.events(state!.id)).map((e) => e.type);
    expect(types.filter((t) => t === 'RollbackStarted')).toHaveLength(1);
    expect(types.filter((t) => t === 'RolledBack')).toHaveLength(1);
  });

  it.each(CASES.filter((c) => c.rollback === 'transient').map((c) => [label(c)]))('%s: a rollback decided but not saved moved nothing; one saved is finished', async (name) => {
    const state = settled.get(name)!;
    const planned = CASES.find((c) => label(c) === name)!;
    const walk = engine.cluster.weightHistory.get(`${state.spec.namespace}/${state.spec.targetDeployment}`);
    expect([...crashed.values()]).toContain(name);
    await expectConsistent(engine, state, `${state.spec.targetDeployment}:v1`);
    if (planned.point === 'after-effects') {
      // The crash came before the save: the redelivered tick saw healthy pods and went on, never having moved traffic.
      expect(state.phase).toBe('Completed');
      expect(walk).toEqual([50, 100, 0]);
    } else {
      expect(state).toMatchObject({ phase: 'Failed', failure: { reason: 'PodCrash' } });
      expect(walk).toEqual([50, 0]);
    }
  });
});
