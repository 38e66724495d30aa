import { describe, expect, it } from 'vitest';
import { analyse, withComparison, type AnalysisOutcome, type AnalysisPolicy } from '../../lib/domain/analysis.js';
import { noData, value, type Measurements } from '../../lib/domain/measurement.js';

const policy: AnalysisPolicy = {
  thresholds: { successRate: 99, errorRate: 1, latencyMs: { p99: 500 }, custom: [] },
  weights: { successRate: 40, latency: 30, errorRate: 30 },
  minRequests: 20,
  hardFailOnBreach: true,
};

const measured = (sr: number, er: number, p99: number, requests = 1000): Measurements => ({
  requests: value(requests), successRate: value(sr), errorRate: value(er),
  latencyMs: { p50: value(p99 / 3), p90: value(p99 / 2), p99: value(p99) }, custom: {},
});

describe('analysis and health score', () => {
  it.each([
    ['all within thresholds', measured(99.8, 0.2, 200), true, 'pass', 100],
    ['hard breach with onMetricsFail fails at once', measured(99.8, 2, 200), true, 'fail', 70],
    ['the same breach without onMetricsFail is judged by the score', measured(99.8, 1.2, 200), false, 'pass', 94],
    ['grey zone pauses', measured(98.6, 1.3, 200), false, 'grey', 75],
    ['a low score fails', measured(97, 3, 1200), false, 'fail', 0],
  ] as const)('%s', (_name, m, hard, verdict, score) => {
    const result = analyse(m, { ...policy, hardFailOnBreach: hard });
    expect(result.verdict).toBe(verdict);
    expect(result.score).toBe(score);
  });

  it('too few requests is inconclusive, whatever the values', () => {
    expect(analyse(measured(50, 50, 5000, 19), policy)).toMatchObject({ verdict: 'inconclusive', score: null });
  });

  it('no data is inconclusive, never a pass', () => {
    const none = noData('empty result');
    const m: Measurements = { requests: value(500), successRate: none, errorRate: none, latencyMs: { p50: none, p90: none, p99: none }, custom: {} };
    const result = analyse(m, policy);
    expect(result.verdict).toBe('inconclusive');
    expect(result.metrics.every((x) => x.value === null)).toBe(true);
  });

  it('partial data that would pass is still inconclusive', () => {
    const m = { ...measured(99.9, 0.1, 100), latencyMs: { p50: noData('x'), p90: noData('x'), p99: noData('x') } };
    expect(analyse(m, policy).verdict).toBe('inconclusive');
  });

  it('custom metrics breach outside [min, max]', () => {
    const custom = { thresholds: { ...policy.thresholds, custom: [{ name: 'queue_depth', query: 'q', max: 10, weight: 10 }] } };
    const m = { ...measured(99.9, 0.1, 100), custom: { queue_depth: value(12) } };
    const result = analyse(m, { ...policy, ...custom });
    expect(result.verdict).toBe('fail');
    expect(result.reason).toMatch(/queue_depth 12/);
  });
});

describe('comparison with stable in the analysis', () => {
  const comparison = (verdict: 'worse' | 'not-worse' | 'inconclusive') => ({
    verdict, reason: 'canary error rate 3% vs stable 0.1% (p<0.0001)',
    errorRate: { pValue: 0.00001, canaryRate: 3, stableRate: 0.1, difference: 2.9, significant: true, relevant: true, insufficient: false },
    latency: { pValue: 0.5, canaryMedian: 40, stableMedian: 40, differenceMs: 0, significant: false, relevant: false, insufficient: false },
  });

  it.each([
    ['worse fails a passing analysis', 'worse', 'pass', 'fail'],
    ['not-worse keeps a pass', 'not-worse', 'pass', 'pass'],
    ['inconclusive does not block a pass', 'inconclusive', 'pass', 'pass'],
    ['worse leaves a fail a fail', 'worse', 'fail', 'fail'],
  ] as const)('%s', (_name, verdict, before, after) => {
    const outcome: AnalysisOutcome = { verdict: before, score: 100, metrics: [], reason: 'x' };
    const result = withComparison(outcome, comparison(verdict));
    expect(result.verdict).toBe(after);
    expect(result.comparison?.verdict).toBe(verdict);
  });
});
