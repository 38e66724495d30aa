/**
 * The few statistics the canary-versus-stable comparison needs, with no dependency: the standard
 * normal distribution, a pooled two-proportion z-test (error rates) and the Mann–Whitney U test
 * (latency series). Pure: no I/O, no clock, no randomness. Rates here are fractions (0..1);
 * `compare.ts` turns them into percent.
 */

export type Alternative = 'greater' | 'two-sided';

/**
 * erfc(x) by the Chebyshev fit of Numerical Recipes (2nd ed., §6.2, `erfcc`): fractional error below
 * 1.2e-7 for every x. A *fractional* bound matters here: the p-values we act on are tails, and an
 * absolute-error formula such as Abramowitz–Stegun 7.1.26 (|ε| ≤ 1.5e-7) would make every tail
 * beyond z ≈ 5 pure noise.
 */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}

/** Φ(z), the standard normal CDF; relative error < 1.2e-7, so Φ(−z) is the accurate way to get an upper tail. */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  return 0.5 * erfc(-z / Math.SQRT2);
}

// Acklam's rational approximation of Φ⁻¹ (relative error < 1.15e-9): a central rational function and
// a tail one in sqrt(−2 ln p). No refinement step: it would be limited by normalCdf's 1e-7 anyway.
const QA = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const QB = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const QC = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const QD = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;
const horner = (c: number[], x: number): number => c.reduce((acc, k) => acc * x + k, 0);

/** Φ⁻¹(p), the standard normal quantile; ±Infinity at 0 and 1, NaN outside [0, 1]. */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const tail = (q: number): number => horner(QC, q) / (horner(QD, q) * q + 1);
  if (p < P_LOW) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - P_LOW) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (horner(QA, r) * q) / (horner(QB, r) * r + 1);
}

/** Upper-tail p for 'greater' (Φ(−z), exact in the tail), two tails otherwise. */
const pFromZ = (z: number, alternative: Alternative): number =>
  alternative === 'greater' ? normalCdf(-z) : Math.min(1, 2 * normalCdf(-Math.abs(z)));

export interface TwoProportionInput {
  failuresA: number;
  totalA: number;
  failuresB: number;
  totalB: number;
  /** 'greater': the failure rate of A exceeds B's (canary worse than stable). */
  alternative: Alternative;
}

export interface TwoProportionResult {
  z: number;
  pValue: number;
  /** failuresA / totalA as a fraction (0 when totalA is 0). */
  rateA: number;
  rateB: number;
  /** rateA − rateB. */
  difference: number;
}

/**
 * Pooled two-proportion z-test: z = (p̂A − p̂B) / √(p̂(1 − p̂)(1/nA + 1/nB)) with p̂ the pooled rate,
 * the standard test of H0: pA = pB. Counts may be fractional (Prometheus `increase()` extrapolates).
 * No evidence either way (an empty side, or a pooled rate of 0 or 1, where both sides are identical)
 * gives z 0 and p 1 rather than NaN. Invalid counts are a programming error and throw.
 */
export function twoProportionTest(input: TwoProportionInput): TwoProportionResult {
  const { failuresA, totalA, failuresB, totalB, alternative } = input;
  for (const [f, n, side] of [[failuresA, totalA, 'A'], [failuresB, totalB, 'B']] as const) {
    if (!Number.isFinite(f) || !Number.isFinite(n) || n < 0 || f < 0 || f > n) {
      throw new RangeError(`side ${side}: need 0 <= failures <= total, got ${f} of ${n}`);
    }
  }
  const rateA = totalA > 0 ? failuresA / totalA : 0;
  const rateB = totalB > 0 ? failuresB / totalB : 0;
  const difference = rateA - rateB;
  if (totalA === 0 || totalB === 0) return { z: 0, pValue: 1, rateA, rateB, difference };
  const pooled = (failuresA + failuresB) / (totalA + totalB);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / totalA + 1 / totalB));
  if (!(se > 0)) return { z: 0, pValue: 1, rateA, rateB, difference };
  const z = difference / se;
  return { z, pValue: pFromZ(z, alternative), rateA, rateB, difference };
}

export interface MannWhitneyResult {
  /** U of the first sample: pairs (x from a, y from b) with x > y, ties counting ½. */
  u: number;
  z: number;
  pValue: number;
  /** A sample below the minimum size: u is reported, z is 0 and p is 1. */
  insufficient: boolean;
}

/**
 * Smallest sample (per side) for which a p-value is given. Exact tables are not used, only the normal
 * approximation; enumerating every rank arrangement shows that from 5 against 5 it stays within 0.007
 * of the exact one-sided p wherever p < 0.2, and errs on the large (cautious) side in the far tail.
 * Below 5 there is little to test anyway: 3 against 3 can never reach p < 0.05 exactly, 4 against 4
 * only when at most one pair is out of order.
 */
export const MANN_WHITNEY_MIN_SAMPLE = 5;

/**
 * Mann–Whitney U (Wilcoxon rank-sum) test with the normal approximation: average ranks for ties,
 * the tie-corrected variance nAnB/12 · ((n + 1) − Σ(t³ − t)/(n(n − 1))), and a continuity correction
 * of ½ towards the mean (the convention of scipy.stats.mannwhitneyu, method 'asymptotic').
 * 'greater' tests that values in `a` tend to be larger than in `b` (canary slower than stable).
 * `minSampleSize` (default MANN_WHITNEY_MIN_SAMPLE) exists for textbook cases with smaller samples.
 */
export function mannWhitneyU(
  a: readonly number[], b: readonly number[], alternative: Alternative, options: { minSampleSize?: number } = {},
): MannWhitneyResult {
  if (![...a, ...b].every(Number.isFinite)) throw new RangeError('Mann–Whitney U needs finite values');
  const n1 = a.length;
  const n2 = b.length;
  const n = n1 + n2;
  const pooled = [...a.map((v) => ({ v, first: true })), ...b.map((v) => ({ v, first: false }))].sort((x, y) => x.v - y.v);
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && pooled[j + 1]!.v === pooled[i]!.v) j++;
    const rank = (i + j) / 2 + 1; // ranks are 1-based; a tie group shares the mean of its ranks
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    for (let k = i; k <= j; k++) if (pooled[k]!.first) rankSumA += rank;
    i = j + 1;
  }
  const u = n1 > 0 ? rankSumA - (n1 * (n1 + 1)) / 2 : 0;
  const minSize = options.minSampleSize ?? MANN_WHITNEY_MIN_SAMPLE;
  if (n1 < Math.max(1, minSize) || n2 < Math.max(1, minSize)) return { u, z: 0, pValue: 1, insufficient: true };
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  // Every value tied: no ordering at all, so no evidence.
  if (!(variance > 0)) return { u, z: 0, pValue: 1, insufficient: false };
  const sd = Math.sqrt(variance);
  const z = alternative === 'greater'
    ? (u - mean - 0.5) / sd
    : (Math.sign(u - mean) * Math.max(0, Math.abs(u - mean) - 0.5)) / sd;
  return { u, z, pValue: pFromZ(z, alternative), insufficient: false };
}
