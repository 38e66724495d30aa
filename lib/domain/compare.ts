import { MANN_WHITNEY_MIN_SAMPLE, mannWhitneyU, twoProportionTest } from './statistics.js';

/**
 * The opt-in comparative judge: the canary against the stable version over the same window, instead
 * of against fixed thresholds. It only says whether the canary is *worse*; it is a rollback signal.
 *
 * A metric is `worse` when it is significant (one-sided p < 1 − confidence) AND relevant (the observed
 * effect is at least `minEffect`): significance alone would roll back for harmless differences once
 * traffic is high, relevance alone would roll back on noise when it is low.
 * - error rate: pooled two-proportion z-test on errors / requests; needs MIN_REQUESTS_PER_SIDE per side;
 * - latency: Mann–Whitney U on the latency series (e.g. per-10 s p99 points), effect = difference of
 *   medians; needs MIN_LATENCY_POINTS finite points per side (non-finite points, Prometheus' NaN for an
 *   empty sub-window, are dropped).
 * Verdict: `worse` if any metric is worse; otherwise `inconclusive` if a metric lacked data (as with the
 * threshold analysis, missing data never passes); otherwise `not-worse`.
 */

/** Below this many requests on either side the error-rate test is not run (0.5 % of 50 is 0.25 errors). */
export const MIN_REQUESTS_PER_SIDE = 50;
export const MIN_LATENCY_POINTS = MANN_WHITNEY_MIN_SAMPLE;

export interface VersionWindow { requests: number; errors: number; latencySeries: number[] }
export interface ComparisonInput { canary: VersionWindow; stable: VersionWindow }

export interface ComparisonPolicy {
  /** e.g. 0.95: a metric is significant when its one-sided p < 1 − confidence. */
  confidence: number;
  /** The smallest regression worth rolling back: error-rate points (percent) and milliseconds. */
  minEffect: { errorRatePoints: number; latencyMs: number };
}

export type ComparisonVerdict = 'worse' | 'not-worse' | 'inconclusive';

export interface Comparison {
  verdict: ComparisonVerdict;
  /** Rates in percent, difference in percentage points; null rates when a side had no requests. */
  errorRate: {
    pValue: number; canaryRate: number | null; stableRate: number | null; difference: number | null;
    significant: boolean; relevant: boolean; insufficient: boolean;
  };
  /** Medians of the latency series in ms; null when a side has no point. */
  latency: {
    pValue: number; canaryMedian: number | null; stableMedian: number | null; differenceMs: number | null;
    significant: boolean; relevant: boolean; insufficient: boolean;
  };
  reason: string;
}

// Counts come from Prometheus increase(): possibly fractional, NaN when absent, and errors may exceed
// requests by extrapolation. That is measurement noise, not a bug, so it is clamped rather than thrown.
const count = (x: number): number => (Number.isFinite(x) && x > 0 ? x : 0);

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;
const fmtP = (p: number): string => (p < 0.0001 ? 'p<0.0001' : `p=${p.toFixed(4)}`);
const signed = (v: number): string => (v >= 0 ? `+${v}` : String(v));

export function compareWithStable(input: ComparisonInput, policy: ComparisonPolicy): Comparison {
  const { confidence, minEffect } = policy;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  if (!(minEffect.errorRatePoints >= 0) || !(minEffect.latencyMs >= 0)) throw new RangeError('minEffect must be >= 0');
  const alpha = 1 - confidence;

  const cReq = count(input.canary.requests);
  const sReq = count(input.stable.requests);
  const errorsInsufficient = cReq < MIN_REQUESTS_PER_SIDE || sReq < MIN_REQUESTS_PER_SIDE;
  const et = twoProportionTest({
    failuresA: Math.min(count(input.canary.errors), cReq), totalA: cReq,
    failuresB: Math.min(count(input.stable.errors), sReq), totalB: sReq, alternative: 'greater',
  });
  const canaryRate = cReq > 0 ? 100 * et.rateA : null;
  const stableRate = sReq > 0 ? 100 * et.rateB : null;
  const errDiff = canaryRate !== null && stableRate !== null ? canaryRate - stableRate : null;
  const errPValue = errorsInsufficient ? 1 : et.pValue;
  const errorRate = {
    pValue: errPValue, canaryRate, stableRate, difference: errDiff,
    significant: !errorsInsufficient && errPValue < alpha,
    relevant: errDiff !== null && errDiff >= minEffect.errorRatePoints,
    insufficient: errorsInsufficient,
  };

  const cSeries = input.canary.latencySeries.filter(Number.isFinite);
  const sSeries = input.stable.latencySeries.filter(Number.isFinite);
  const mw = mannWhitneyU(cSeries, sSeries, 'greater', { minSampleSize: MIN_LATENCY_POINTS });
  const canaryMedian = median(cSeries);
  const stableMedian = median(sSeries);
  const latDiff = canaryMedian !== null && stableMedian !== null ? canaryMedian - stableMedian : null;
  const latency = {
    pValue: mw.pValue, canaryMedian, stableMedian, differenceMs: latDiff,
    significant: !mw.insufficient && mw.pValue < alpha,
    relevant: latDiff !== null && latDiff >= minEffect.latencyMs,
    insufficient: mw.insufficient,
  };

  const pct = (v: number | null): string => (v === null ? 'n/a' : `${round(v, 2)}%`);
  const ms = (v: number | null): string => (v === null ? 'n/a' : `${round(v, 1)} ms`);
  const errText = `canary error rate ${pct(canaryRate)} vs stable ${pct(stableRate)} (${fmtP(errPValue)}, ${signed(round(errDiff ?? 0, 2))} points)`;
  const latText = `canary latency median ${ms(canaryMedian)} vs stable ${ms(stableMedian)} over ${cSeries.length} vs ${sSeries.length} points (${fmtP(mw.pValue)}, ${signed(round(latDiff ?? 0, 1))} ms)`;
  const errWorse = errorRate.significant && errorRate.relevant;
  const latWorse = latency.significant && latency.relevant;
  // Significant but small: said explicitly, so that a reader sees why it did not roll back.
  const note = (m: { significant: boolean; relevant: boolean }, min: string): string =>
    m.significant && !m.relevant ? ` significant but below the minimum effect of ${min}` : '';

  let verdict: ComparisonVerdict;
  let reason: string;
  if (errWorse || latWorse) {
    verdict = 'worse';
    reason = [errWorse ? errText : '', latWorse ? latText : ''].filter(Boolean).join('; ');
  } else if (errorRate.insufficient || latency.insufficient) {
    verdict = 'inconclusive';
    const gaps = [
      errorRate.insufficient ? `${round(cReq, 1)} canary / ${round(sReq, 1)} stable requests (minimum ${MIN_REQUESTS_PER_SIDE} each)` : '',
      latency.insufficient ? `${cSeries.length} canary / ${sSeries.length} stable latency points (minimum ${MIN_LATENCY_POINTS} each)` : '',
    ].filter(Boolean).join(' and ');
    const judged = !errorRate.insufficient ? `; ${errText}` : !latency.insufficient ? `; ${latText}` : '';
    reason = `too little data: ${gaps}${judged}`;
  } else {
    verdict = 'not-worse';
    reason = `no significant and relevant regression: ${errText}${note(errorRate, `${minEffect.errorRatePoints} points`)}; ` +
      `${latText}${note(latency, `${minEffect.latencyMs} ms`)}`;
  }
  return { verdict, errorRate, latency, reason };
}
