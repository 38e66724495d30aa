import { describe, expect, it } from 'vitest';
import { mannWhitneyU, normalCdf, normalQuantile, twoProportionTest } from '../../lib/domain/statistics.js';

// Reference values: standard normal tables (Abramowitz & Stegun, Table 26.1), cross-checked with
// Python's statistics.NormalDist / math.erfc, which are independent of the code under test.
describe('standard normal distribution', () => {
  it.each([
    [1.96, 0.9750021],
    [-1, 0.1586553],
    [0, 0.5],
    [3, 0.9986501],
    [-2.5758293, 0.005],
  ])('Φ(%s) = %s to 1e-7', (z, expected) => {
    expect(Math.abs(normalCdf(z) - expected)).toBeLessThan(1e-7);
  });

  it('keeps relative accuracy in the far tail, where p-values live', () => {
    // Φ(−5) = 2.8665157e-7, Φ(−8) = 6.2209606e-16 (NormalDist().cdf)
    expect(normalCdf(-5) / 2.8665157186802404e-7).toBeCloseTo(1, 6);
    expect(normalCdf(-8) / 6.220960574271819e-16).toBeCloseTo(1, 6);
    expect(normalCdf(Infinity)).toBe(1);
    expect(normalCdf(-Infinity)).toBe(0);
  });

  it('is symmetric: Φ(z) + Φ(−z) = 1', () => {
    for (const z of [0.1, 0.7, 1.3, 2.2, 3.7]) expect(normalCdf(z) + normalCdf(-z)).toBeCloseTo(1, 12);
  });

  it.each([
    [0.95, 1.6448536],
    [0.975, 1.959964],
    [0.5, 0],
    [0.01, -2.3263479],
    [0.999, 3.0902323],
    [1e-6, -4.7534243],
  ])('Φ⁻¹(%s) = %s to 1e-7', (p, expected) => {
    expect(Math.abs(normalQuantile(p) - expected)).toBeLessThan(1e-7);
  });

  it('Φ⁻¹ handles the ends and inverts Φ', () => {
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(-0.1)).toBeNaN();
    for (const p of [0.001, 0.02425, 0.3, 0.8, 0.99]) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 7);
  });
});

describe('pooled two-proportion z-test', () => {
  it('45/500 against 30/500 (worked by hand)', () => {
    // p̂A = 0.09, p̂B = 0.06, pooled p̂ = 75/1000 = 0.075
    // SE = √(0.075 · 0.925 · (1/500 + 1/500)) = √(0.069375 · 0.004) = √0.0002775 = 0.0166583
    // z = 0.03 / 0.0166583 = 1.80090; one-sided p = Φ(−1.80090) = 0.035859; two-sided 0.071719.
    // (The brief's "≈ 1.82" is not reproduced by either the pooled SE (1.801) or the unpooled one (1.804).)
    const greater = twoProportionTest({ failuresA: 45, totalA: 500, failuresB: 30, totalB: 500, alternative: 'greater' });
    expect(greater.z).toBeCloseTo(1.8009007, 6);
    expect(greater.pValue).toBeCloseTo(0.0358593, 6);
    expect(greater.rateA).toBeCloseTo(0.09, 12);
    expect(greater.rateB).toBeCloseTo(0.06, 12);
    expect(greater.difference).toBeCloseTo(0.03, 12);
    const twoSided = twoProportionTest({ failuresA: 45, totalA: 500, failuresB: 30, totalB: 500, alternative: 'two-sided' });
    expect(twoSided.pValue).toBeCloseTo(0.0717185, 6);
  });

  it('21/1000 against 4/1000: a clear regression (worked by hand)', () => {
    // pooled 25/2000 = 0.0125; SE = √(0.0125 · 0.9875 · 0.002) = 0.00496865; z = 0.017 / SE = 3.42145
    const r = twoProportionTest({ failuresA: 21, totalA: 1000, failuresB: 4, totalB: 1000, alternative: 'greater' });
    expect(r.z).toBeCloseTo(3.4214513, 6);
    expect(r.pValue).toBeCloseTo(0.00031144, 7);
  });

  it("'greater' is one-sided: a better canary is no evidence of being worse", () => {
    const r = twoProportionTest({ failuresA: 30, totalA: 500, failuresB: 45, totalB: 500, alternative: 'greater' });
    expect(r.z).toBeCloseTo(-1.8009007, 6);
    expect(r.pValue).toBeCloseTo(1 - 0.0358593, 6);
  });

  it.each([
    ['an empty side', 0, 0, 3, 100],
    ['no failures anywhere (pooled 0)', 0, 100, 0, 100],
    ['only failures (pooled 1)', 100, 100, 50, 50],
  ])('%s gives z 0 and p 1', (_name, fA, nA, fB, nB) => {
    const r = twoProportionTest({ failuresA: fA, totalA: nA, failuresB: fB, totalB: nB, alternative: 'greater' });
    expect(r).toMatchObject({ z: 0, pValue: 1 });
  });

  it('rejects impossible counts', () => {
    expect(() => twoProportionTest({ failuresA: 5, totalA: 4, failuresB: 0, totalB: 10, alternative: 'greater' })).toThrow(RangeError);
    expect(() => twoProportionTest({ failuresA: Number.NaN, totalA: 4, failuresB: 0, totalB: 10, alternative: 'greater' })).toThrow(RangeError);
  });
});

describe('Mann–Whitney U', () => {
  it('diagnosis ages, males against females (Shier 2004, as in the scipy.stats.mannwhitneyu docs)', () => {
    // Source: R. Shier, "Statistics: 2.3 The Mann-Whitney U Test", Mathematics Learning Support Centre,
    // 2004, reproduced in scipy's mannwhitneyu example: U_M = 17, U_F = 3; normal approximation with
    // continuity correction, two-sided p = 0.11134688653314041 (scipy, method="asymptotic").
    // By hand: ranks of the males 3, 5, 7, 8, 9 → R = 32, U = 32 − 15 = 17; μ = 10, σ = √(20·10/12) = 4.08248;
    // z = (17 − 10 − 0.5)/σ = 1.59217; one-sided p = 0.0556734.
    const males = [19, 22, 16, 29, 24];
    const females = [20, 11, 17, 12];
    const two = mannWhitneyU(males, females, 'two-sided', { minSampleSize: 4 });
    expect(two.u).toBe(17);
    expect(two.z).toBeCloseTo(1.5921683, 6);
    expect(two.pValue).toBeCloseTo(0.11134688653314041, 6);
    expect(mannWhitneyU(females, males, 'two-sided', { minSampleSize: 4 }).u).toBe(3);
    expect(mannWhitneyU(males, females, 'greater', { minSampleSize: 4 }).pValue).toBeCloseTo(0.0556734, 6);
    // With the default minimum of 5 per side, 4 females are too few to judge.
    expect(mannWhitneyU(males, females, 'two-sided')).toMatchObject({ u: 17, pValue: 1, insufficient: true });
  });

  it("Aesop's tortoises and hares (Wikipedia, Mann–Whitney U test, 'Illustration of calculation methods')", () => {
    // Finishing order T H H H H H T T T T T H: Wikipedia gives U_T = 11 and U_H = 25. As finishing
    // positions, U of the hares' positions over the tortoises' counts hare-behind-tortoise pairs = U_T.
    // Normal approximation by hand: μ = 18, σ = √(36·13/12) = 6.24500; two-sided z = (|11 − 18| − 0.5)/σ
    // = 1.04083, p = 0.297953 (not significant, as Wikipedia concludes from the tables).
    const hares = [2, 3, 4, 5, 6, 12];
    const tortoises = [1, 7, 8, 9, 10, 11];
    expect(mannWhitneyU(hares, tortoises, 'two-sided').u).toBe(11);
    expect(mannWhitneyU(tortoises, hares, 'two-sided').u).toBe(25);
    const r = mannWhitneyU(tortoises, hares, 'two-sided');
    expect(r.z).toBeCloseTo(1.0408330, 6);
    expect(r.pValue).toBeCloseTo(0.2979531, 6);
    expect(mannWhitneyU(hares, tortoises, 'two-sided').pValue).toBeCloseTo(0.2979531, 6);
  });

  it('ties get average ranks and a corrected variance (worked by hand)', () => {
    // a = 1 2 2 3 4, b = 2 3 3 5 6. Pooled order: 1a 2a 2a 2b 3a 3b 3b 4a 5b 6b;
    // ranks: 1 → 1; the three 2s share (2+3+4)/3 = 3; the three 3s share (5+6+7)/3 = 6; 4 → 8; 5 → 9; 6 → 10.
    // R_a = 1 + 3 + 3 + 6 + 8 = 21, U_a = 21 − 15 = 6 (pairwise: 0 + ½+½ + (1+1) + 3 = 6).
    // Tie term Σ(t³ − t) = 24 + 24 = 48; σ² = 25/12 · (11 − 48/90) = 21.80556, σ = 4.66964.
    // Two-sided z = (|6 − 12.5| − 0.5)/σ = 1.28490, p = 0.198829. One-sided 'greater': z = (6 − 12.5 − 0.5)/σ
    // = −1.49904, p = 0.933069.
    const a = [1, 2, 2, 3, 4];
    const b = [2, 3, 3, 5, 6];
    const two = mannWhitneyU(a, b, 'two-sided');
    expect(two.u).toBe(6);
    expect(two.z).toBeCloseTo(-1.2848951, 6);
    expect(two.pValue).toBeCloseTo(0.1988289, 6);
    const greater = mannWhitneyU(a, b, 'greater');
    expect(greater.z).toBeCloseTo(-1.4990443, 6);
    expect(greater.pValue).toBeCloseTo(0.9330689, 6);
  });

  it("'greater' detects a slower first sample; complete separation of 6 against 6", () => {
    // U = 36 = n1·n2, μ = 18, σ = 6.245; z = (36 − 18 − 0.5)/σ = 2.80224, p = 0.0025374.
    const r = mannWhitneyU([60, 61, 62, 63, 64, 65], [40, 41, 42, 43, 44, 45], 'greater');
    expect(r.u).toBe(36);
    expect(r.pValue).toBeCloseTo(0.0025374, 6);
  });

  it('all values tied is no evidence; fewer than 5 points is insufficient; NaN is rejected', () => {
    expect(mannWhitneyU([5, 5, 5, 5, 5], [5, 5, 5, 5, 5], 'greater')).toMatchObject({ u: 12.5, z: 0, pValue: 1, insufficient: false });
    expect(mannWhitneyU([9, 9, 9, 9], [1, 1, 1, 1, 1], 'greater')).toMatchObject({ pValue: 1, insufficient: true });
    expect(mannWhitneyU([], [], 'greater')).toMatchObject({ u: 0, pValue: 1, insufficient: true });
    expect(() => mannWhitneyU([1, Number.NaN], [2], 'greater')).toThrow(RangeError);
  });
});
