import { describe, expect, it } from 'vitest';
import { compareWithStable, type ComparisonInput, type ComparisonPolicy } from '../../lib/domain/compare.js';

const policy: ComparisonPolicy = { confidence: 0.95, minEffect: { errorRatePoints: 0.5, latencyMs: 25 } };

const FLAT = [95, 100, 92, 98, 105, 97]; // median 97.5 ms
const SLOW = [180, 175, 190, 185, 200, 178]; // median 182.5 ms, every point above FLAT: U = 36, p = 0.0025
const SLIGHTLY_SLOWER = [101, 102, 103, 104, 105, 106]; // above most of FLAT (p ≈ 0.01) but only +6 ms

const input = (
  canary: [requests: number, errors: number, latency: number[]],
  stable: [requests: number, errors: number, latency: number[]] = [1000, 4, FLAT],
): ComparisonInput => ({
  canary: { requests: canary[0], errors: canary[1], latencySeries: canary[2] },
  stable: { requests: stable[0], errors: stable[1], latencySeries: stable[2] },
});

describe('compareWithStable', () => {
  it.each([
    // name, input, verdict, error significant/relevant, latency significant/relevant
    // 21/1000 vs 4/1000: z = 3.421, p = 0.00031 (see statistics.test.ts), +1.7 points ≥ 0.5.
    ['worse by errors', input([1000, 21, FLAT]), 'worse', [true, true], [false, false]],
    // 6 against 6, complete separation: p = 0.0025, +85 ms ≥ 25 ms.
    ['worse by latency', input([1000, 4, SLOW]), 'worse', [false, false], [true, true]],
    ['worse by both', input([1000, 21, SLOW]), 'worse', [true, true], [true, true]],
    // 600/100000 vs 500/100000: z = 3.023, p = 0.0012, but only +0.1 points; latency p ≈ 0.01, only +6 ms.
    ['significant but below minEffect', input([100_000, 600, SLIGHTLY_SLOWER], [100_000, 500, FLAT]), 'not-worse', [true, false], [true, false]],
    // 2/60 vs 0/60: +3.3 points but z = 1.426, p = 0.077: noise at this traffic, not evidence.
    ['relevant but not significant', input([60, 2, FLAT], [60, 0, FLAT]), 'not-worse', [false, true], [false, false]],
    ['a better canary', input([1000, 0, [50, 52, 51, 49, 48, 50]]), 'not-worse', [false, false], [false, false]],
    ['too little data on both metrics', input([30, 3, [100, 120, 140]]), 'inconclusive', [false, true], [false, false]],
    ['enough requests but too few latency points', input([1000, 4, [100, 101, 102, 103]]), 'inconclusive', [false, false], [false, false]],
    // A metric with enough data that is worse wins over the other one's lack of data.
    ['too few stable requests but latency worse', input([1000, 4, SLOW], [40, 0, FLAT]), 'worse', [false, false], [true, true]],
  ] as const)('%s', (_name, data, verdict, [errSig, errRel], [latSig, latRel]) => {
    const result = compareWithStable(data, policy);
    expect(result.verdict).toBe(verdict);
    expect([result.errorRate.significant, result.errorRate.relevant]).toEqual([errSig, errRel]);
    expect([result.latency.significant, result.latency.relevant]).toEqual([latSig, latRel]);
  });

  it('reports rates in percent, medians in ms, and a reason naming metric, p-value and effect', () => {
    const r = compareWithStable(input([1000, 21, SLOW]), policy);
    expect(r.errorRate).toMatchObject({ canaryRate: 2.1, stableRate: 0.4, insufficient: false });
    expect(r.errorRate.difference).toBeCloseTo(1.7, 10);
    expect(r.errorRate.pValue).toBeCloseTo(0.00031144, 7);
    expect(r.latency).toMatchObject({ canaryMedian: 182.5, stableMedian: 97.5, differenceMs: 85, insufficient: false });
    expect(r.latency.pValue).toBeCloseTo(0.0025374, 6);
    expect(r.reason).toContain('canary error rate 2.1% vs stable 0.4% (p=0.0003, +1.7 points)');
    expect(r.reason).toContain('canary latency median 182.5 ms vs stable 97.5 ms over 6 vs 6 points (p=0.0025, +85 ms)');
  });

  it('explains a significant but small difference, and says what is missing when inconclusive', () => {
    const small = compareWithStable(input([100_000, 600, SLIGHTLY_SLOWER], [100_000, 500, FLAT]), policy);
    expect(small.reason).toMatch(/significant but below the minimum effect of 0.5 points/);
    expect(small.reason).toMatch(/significant but below the minimum effect of 25 ms/);
    const few = compareWithStable(input([30, 3, [100, 120, 140]]), policy);
    expect(few.reason).toBe('too little data: 30 canary / 1000 stable requests (minimum 50 each) and 3 canary / 6 stable latency points (minimum 5 each)');
    expect(few.errorRate.pValue).toBe(1);
  });

  it('drops non-finite latency points and clamps impossible counts instead of failing', () => {
    // Prometheus gives NaN for a sub-window without traffic and may extrapolate errors past requests.
    const r = compareWithStable(input([100, 130, [Number.NaN, ...SLOW]], [100, Number.NaN, [...FLAT, Number.POSITIVE_INFINITY]]), policy);
    expect(r.latency.canaryMedian).toBe(182.5);
    expect(r.latency.stableMedian).toBe(97.5);
    expect(r.errorRate.canaryRate).toBe(100);
    expect(r.errorRate.stableRate).toBe(0);
    expect(r.verdict).toBe('worse');
  });

  it('no requests at all gives null rates, never a made-up 0 %', () => {
    const r = compareWithStable(input([0, 0, []], [0, 0, []]), policy);
    expect(r.verdict).toBe('inconclusive');
    expect(r.errorRate).toMatchObject({ canaryRate: null, stableRate: null, difference: null });
    expect(r.latency).toMatchObject({ canaryMedian: null, stableMedian: null, differenceMs: null });
  });

  it('the confidence sets the significance level', () => {
    // p = 0.077 is significant at 90 % but not at 95 %.
    const data = input([60, 2, FLAT], [60, 0, FLAT]);
    expect(compareWithStable(data, { ...policy, confidence: 0.9 }).verdict).toBe('worse');
    expect(() => compareWithStable(data, { ...policy, confidence: 1 })).toThrow(RangeError);
    expect(() => compareWithStable(data, { ...policy, minEffect: { errorRatePoints: -1, latencyMs: 25 } })).toThrow(RangeError);
  });
});
