import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusMetricsSource } from '../../lib/adapters/prometheus/metrics-source.js';
import { DependencyError } from '../../lib/app/errors.js';
import type { RolloutState } from '../../lib/domain/state.js';
import type { MetricsSource } from '../../lib/ports/metrics-source.js';
import { startEngineHarness, waitUntil, type EngineHarness } from '../support/engine-harness.js';
import { startFaultyPrometheus, type FaultyPrometheus, type PrometheusFault } from '../support/faulty-prometheus.js';
import { expectConsistent, settleWithinOneSweeperPeriod, startShortRollout, TIME_FACTOR } from './fault-helpers.js';

/**
 * The real PrometheusMetricsSource against a Prometheus that is down, slower than the adapter's timeout,
 * or answering garbage. A broken metrics source is not evidence about the canary: the analysis is
 * inconclusive, the rollout holds at its step's weight (Paused, Inconclusive) past the step's end, and
 * is never promoted; no tick fails. Once Prometheus is healthy again it resumes and completes.
 */
const TIMEOUT_MS = 300;
const FAULTS: Array<{ fault: Exclude<PrometheusFault, 'healthy'>; transient: boolean; says: RegExp }> = [
  { fault: 'down', transient: true, says: /ECONNREFUSED/ },
  { fault: 'slow', transient: true, says: new RegExp(`no answer within ${TIMEOUT_MS} ms`) },
  { fault: 'garbage', transient: false, says: /unexpected body/ },
  { fault: 'wrong-shape', transient: false, says: /unexpected body/ },
];
const STEP_WEIGHT = 20;

describe('Prometheus down, slow and answering garbage', () => {
  let engine: EngineHarness;
  const servers = new Map<string, FaultyPrometheus>();
  const sources = new Map<string, PrometheusMetricsSource>();
  const rollouts = new Map<string, RolloutState>();
  const held = new Map<string, RolloutState>();
  const heldWeight = new Map<string, number | undefined>();
  const settled = new Map<string, RolloutState>();

  beforeAll(async () => {
    engine = await startEngineHarness({ timeFactor: TIME_FACTOR });
    for (const { fault } of FAULTS) {
      const server = await startFaultyPrometheus({ slowMs: TIMEOUT_MS * 4 });
      await server.set(fault);
      servers.set(`prom-${fault}`, server);
      sources.set(`prom-${fault}`, new PrometheusMetricsSource({ baseUrl: server.url, timeoutMs: TIMEOUT_MS, retries: 1, backoffMs: 50 }));
    }
    // One Prometheus per rollout, so the four faults run side by side.
    const routed: MetricsSource = { measure: (spec, now) => sources.get(spec.targetDeployment)!.measure(spec, now) };
    engine.deps.metrics = routed;
    await engine.startPollers();
    for (const { fault } of FAULTS) {
      const rollout = await startShortRollout(engine, `prom-${fault}`, {
        strategy: { type: 'Linear', steps: [{ weight: STEP_WEIGHT, pause: '30s' }, { weight: 100, pause: '0s' }] },
        analysis: { interval: '2s', inconclusiveLimit: 2 },
      });
      rollouts.set(fault, rollout);
    }
    // Hold well past the step's 30 s pause (engine time), which would have promoted a healthy canary.
    const heldSince = engine.deps.clock.now().getTime();
    await waitUntil('every rollout to hold past its step', async () => {
      const states = await Promise.all([...rollouts.values()].map((r) => engine.store.get(r.id)));
      return engine.deps.clock.now().getTime() - heldSince > 45_000 && states.every((s) => s?.phase === 'Paused');
    }, 60_000);
    for (const [fault, rollout] of rollouts) {
      held.set(fault, (await engine.store.get(rollout.id))!);
      heldWeight.set(fault, engine.cluster.workloads.get(`${rollout.spec.namespace}/${rollout.spec.targetDeployment}`)?.weight);
    }
    for (const server of servers.values()) await server.set('healthy');
    const states = await settleWithinOneSweeperPeriod(engine, [...rollouts.values()].map((r) => r.id));
    for (const state of states) settled.set(state.spec.targetDeployment.replace('prom-', ''), state);
  }, 180_000);

  afterAll(async () => {
    await engine?.stop();
    for (const server of servers.values()) await server.stop();
  });

  it.each(FAULTS)('$fault: a typed DependencyError from the adapter (transient: $transient)', async ({ fault, transient, says }) => {
    const server = servers.get(`prom-${fault}`)!;
    await server.set(fault);
    try {
      const error = await sources.get(`prom-${fault}`)!.measure(rollouts.get(fault)!.spec, new Date()).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(DependencyError);
      expect(error).toMatchObject({ dependency: 'prometheus', transient });
      expect((error as Error).message).toMatch(says);
    } finally {
      await server.set('healthy');
    }
  });

  it.each(FAULTS)('$fault: the rollout holds at its step weight as Inconclusive, never promotes, no tick fails', async ({ fault }) => {
    const state = held.get(fault)!;
    expect(state).toMatchObject({ phase: 'Paused', pause: { reason: 'Inconclusive' }, stepIndex: 0, canaryWeight: STEP_WEIGHT });
    expect(heldWeight.get(fault)).toBe(STEP_WEIGHT);
    expect(state.analysis.last?.reason).toMatch(/metrics source failed: prometheus/);
    const events = await engine.deps.audit.events(state.id);
    const beforeClearing = events.filter((e) => e.position <= state.auditHead.count);
    expect(beforeClearing.map((e) => e.type)).not.toContain('PromotionStarted');
    expect(beforeClearing.filter((e) => e.type === 'Analysis').every((e) => (e.data as { verdict: string }).verdict === 'inconclusive')).toBe(true);
    expect(engine.tickFailures).toEqual([]);
  });

  it.each(FAULTS)('$fault: once Prometheus recovers the rollout completes within one sweeper period', async ({ fault }) => {
    const state = settled.get(fault)!;
    expect(state.phase).toBe('Completed');
    await expectConsistent(engine, state, `prom-${fault}:v1`);
    const events = await engine.deps.audit.events(state.id);
    expect(events.map((e) => e.type)).toContain('Resumed');
  });
});
