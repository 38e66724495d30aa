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
  // Weights 40/30/30; thresholds: success rate >= 99 % (budget 1 %), error rate <= 1 %, p99 <= 500 ms.
  it.each([
    ['all healthy', measured(99.9, 0.1, 200), 'pass', 'pass', 100],
    ['all at 80 % of their budgets are still healthy', measured(99.2, 0.8, 400), 'pass', 'pass', 100],
    ['error rate approaching its threshold pauses', measured(99.9, 0.9, 200), 'grey', 'grey', 94],
    ['error rate exactly at its threshold is not a breach and pauses', measured(99.9, 1, 200), 'grey', 'grey', 88],
    ['success rate approaching its minimum pauses', measured(99.1, 0.1, 200), 'grey', 'grey', 92],
    ['latency approaching its threshold pauses', measured(99.9, 0.1, 450), 'grey', 'grey', 94],
    ['everything approaching: the score itself is in the grey zone', measured(99.05, 0.95, 490), 'grey', 'grey', 68.2],
    ['one breach among healthy metrics: fail at once with it on, pause on the score with it off', measured(99.9, 1.2, 200), 'fail', 'grey', 84.4],
    ['a latency breach among healthy metrics', measured(99.9, 0.1, 600), 'fail', 'grey', 84.4],
    ['breaches that bring the score under 60 fail with it on and off', measured(98.5, 1.5, 750), 'fail', 'fail', 30],
    ['a success rate at 0 with the rest healthy scores exactly 60: grey without hard fail', measured(97, 0.5, 200), 'fail', 'grey', 60],
    ['two metrics at 0 fail with it on and off', measured(97, 3, 200), 'fail', 'fail', 30],
    ['a blatant failure scores 0', measured(97, 3, 1200), 'fail', 'fail', 0],
  ] as const)('%s', (_name, m, withHardFail, withoutHardFail, score) => {
    // Act
    const on = analyse(m, { ...policy, hardFailOnBreach: true });
    const off = analyse(m, { ...policy, hardFailOnBreach: false });

    // Assess
    expect([on.verdict, off.verdict]).toEqual([withHardFail, withoutHardFail]);
    expect(on.score).toBe(score);
    expect(off.score).toBe(score);
  });

  const scoreOf = (result: AnalysisOutcome, metric: string) => result.metrics.find((x) => x.metric === metric);
  it.each([
    // error rate, threshold L = 1 %
    ['errorRate', 0, 100, 'healthy', false],
    ['errorRate', 0.8, 100, 'healthy', false],
    ['errorRate', 0.9, 80, 'approaching', false],
    ['errorRate', 1, 60, 'approaching', false],
    ['errorRate', 1.0001, 59.9, 'breached', true],
    ['errorRate', 1.5, 30, 'breached', true],
    ['errorRate', 2, 0, 'breached', true],
    ['errorRate', 5, 0, 'breached', true],
    // p99 latency, threshold L = 500 ms
    ['latencyP99', 400, 100, 'healthy', false],
    ['latencyP99', 450, 80, 'approaching', false],
    ['latencyP99', 500, 60, 'approaching', false],
    ['latencyP99', 750, 30, 'breached', true],
    ['latencyP99', 1000, 0, 'breached', true],
    // success rate, minimum 99 %: budget 1 % of failures
    ['successRate', 99.2, 100, 'healthy', false],
    ['successRate', 99.1, 80, 'approaching', false],
    ['successRate', 99, 60, 'approaching', false],
    ['successRate', 98.5, 30, 'breached', true],
    ['successRate', 98, 0, 'breached', true],
  ] as const)('%s at %s scores %s (%s)', (metric, v, score, zone, breached) => {
    const healthy = { successRate: 99.9, errorRate: 0.1, latencyP99: 200 };
    const at = { ...healthy, [metric]: v };
    expect(scoreOf(analyse(measured(at.successRate, at.errorRate, at.latencyP99), policy), metric)).toMatchObject({ score, zone, breached });
  });

  it('latency scores its worst configured percentile', () => {
    // Prepare: p50 <= 100 ms breached at 1.5× (30), p99 <= 500 ms healthy
    const both = { ...policy, thresholds: { ...policy.thresholds, latencyMs: { p50: 100, p99: 500 } } };
    const m = { ...measured(99.9, 0.1, 300), latencyMs: { p50: value(150), p90: value(200), p99: value(300) } };

    // Act
    const off = analyse(m, { ...both, hardFailOnBreach: false });

    // Assess: 0.4·100 + 0.3·100 + 0.3·30
    expect(off).toMatchObject({ verdict: 'grey', score: 79 });
    expect(scoreOf(off, 'latencyP50')).toMatchObject({ score: 30, zone: 'breached' });
    expect(scoreOf(off, 'latencyP99')).toMatchObject({ score: 100, zone: 'healthy' });
    expect(analyse(m, both).verdict).toBe('fail');
  });

  it('a zero budget has no approach zone', () => {
    const strict = { ...policy, thresholds: { ...policy.thresholds, successRate: 100, errorRate: 0 } };
    expect(scoreOf(analyse(measured(100, 0, 200), strict), 'errorRate')).toMatchObject({ score: 100, zone: 'healthy', breached: false });
    expect(scoreOf(analyse(measured(100, 0.01, 200), strict), 'errorRate')).toMatchObject({ score: 0, zone: 'breached', breached: true });
    expect(scoreOf(analyse(measured(99.99, 0, 200), strict), 'successRate')).toMatchObject({ score: 0, zone: 'breached', breached: true });
  });

  it('names the metric near its threshold in the reason', () => {
    expect(analyse(measured(99.9, 0.9, 200), policy).reason).toMatch(/approaching its threshold: errorRate 0.9 \(threshold <= 1%\)/);
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
