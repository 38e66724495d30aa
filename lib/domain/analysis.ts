import type { Comparison } from './compare.js';
import type { Measured, Measurements } from './measurement.js';
import type { ScoreWeights, Thresholds } from './spec.js';

/**
 * One analysis: thresholds, the health score and a verdict.
 *
 * Each metric with a threshold has a budget B and spends u of it:
 * - error rate (%) and each latency percentile (ms): B = the threshold L, u = the value;
 * - success rate (%): B = 100 − minimum (the failures allowed), u = 100 − the value.
 * With r = u / B, the metric's score is
 *   r ≤ 0.8        → 100                  zone `healthy`
 *   0.8 < r ≤ 1    → 60 + 200·(1 − r)     zone `approaching` (the last 20 % of the budget: 100 → 60)
 *   1 < r ≤ 2      → 60·(2 − r)           zone `breached`    (60 → 0 at twice the budget)
 *   r > 2          → 0                    zone `breached`
 * so 0.8·B scores 100, 0.9·B 80, B 60, 1.5·B 30, 2·B 0. A value exactly at the threshold is not a
 * breach (score 60); any breach scores below 60. Scores are rounded to 0.1, a breach to at most 59.9.
 * A zero budget (threshold 0, or a 100 % minimum) has no approach zone: 100 unspent, else 0 and breached.
 * A custom metric scores 100 inside [min, max] (`healthy`), else 0 (`breached`).
 *
 * Health score (0..100) = Σ weightᵢ·scoreᵢ / Σ weightᵢ over success rate, error rate, latency (the worst
 * configured percentile) and custom metrics of weight > 0 that have data, rounded to 0.1.
 *
 * Verdict, in this order:
 * 1. fewer than `minRequests` canary requests → inconclusive;
 * 2. a breached threshold with `hardFailOnBreach` (`onMetricsFail`) → fail at once;
 * 3. no metric has data → inconclusive;
 * 4. health score < 60 → fail (rolled back whenever `autoRollback.enabled`, with `onMetricsFail` on or off);
 * 5. health score < 80, or any metric approaching or breached → grey (pause): a metric near its
 *    threshold pauses even when the others keep the weighted score high;
 * 6. some metric has no data → inconclusive; else pass.
 * The values are whatever the measurement supplies (point estimates today, evidence-adjusted values
 * once the analysis accumulates evidence); the zones and the formula apply to them unchanged.
 */
export type Verdict = 'pass' | 'grey' | 'fail' | 'inconclusive';

export interface MetricResult {
  metric: string;
  value: number | null;
  threshold: string;
  breached: boolean;
  /** 0..100 component of the health score; null when the metric had no data. */
  score: number | null;
  /** Where the value lies in its budget (see above); absent when the metric had no data. */
  zone?: MetricZone;
}

/** `approaching`: the last 20 % of the metric's budget; `breached`: beyond its threshold. */
export type MetricZone = 'healthy' | 'approaching' | 'breached';

export interface AnalysisOutcome {
  verdict: Verdict;
  score: number | null;
  metrics: MetricResult[];
  /** Human reason naming the failing or missing metrics. */
  reason: string;
  /** The comparison with stable, when that judge is enabled. */
  comparison?: Comparison;
}

/**
 * Adds the comparison judge's verdict: a significant and relevant regression against stable fails
 * the analysis even when every threshold holds. Its inconclusiveness (e.g. little stable traffic)
 * does not block; the canary's own metrics already decide whether there is evidence to go on.
 */
export function withComparison(outcome: AnalysisOutcome, comparison: Comparison): AnalysisOutcome {
  if (comparison.verdict !== 'worse' || outcome.verdict === 'fail') return { ...outcome, comparison };
  return { ...outcome, comparison, verdict: 'fail', reason: `worse than stable: ${comparison.reason}` };
}

export interface AnalysisPolicy {
  thresholds: Thresholds;
  weights: ScoreWeights;
  minRequests: number;
  hardFailOnBreach: boolean;
}

export const CONTINUE_SCORE = 80;
export const PAUSE_SCORE = 60;

/** The share of a metric's budget after which it is approaching its threshold. */
export const APPROACH_FROM = 0.8;

/** Score of a metric that has spent `used` of `budget`; `breached` is decided by the caller's own comparison. */
function budgetScore(used: number, budget: number, breached: boolean): { score: number; zone: MetricZone } {
  if (breached) {
    const r = budget <= 0 ? Infinity : used / budget;
    const raw = r >= 2 ? 0 : PAUSE_SCORE * (2 - r);
    return { score: Math.min(Math.round(raw * 10) / 10, PAUSE_SCORE - 0.1), zone: 'breached' };
  }
  if (budget <= 0 || used <= APPROACH_FROM * budget) return { score: 100, zone: 'healthy' };
  const r = Math.min(used / budget, 1);
  const raw = PAUSE_SCORE + ((100 - PAUSE_SCORE) * (1 - r)) / (1 - APPROACH_FROM);
  return { score: Math.round(raw * 10) / 10, zone: 'approaching' };
}

function judgeUpper(metric: string, m: Measured, limit: number | undefined, unit: string): MetricResult | undefined {
  if (limit === undefined) return undefined;
  const threshold = `<= ${limit}${unit}`;
  if (m.kind === 'no-data') return { metric, value: null, threshold, breached: false, score: null };
  const breached = m.value > limit;
  return { metric, value: m.value, threshold, breached, ...budgetScore(m.value, limit, breached) };
}

function judgeSuccessRate(m: Measured, min: number | undefined): MetricResult | undefined {
  if (min === undefined) return undefined;
  const threshold = `>= ${min}%`;
  if (m.kind === 'no-data') return { metric: 'successRate', value: null, threshold, breached: false, score: null };
  const breached = m.value < min;
  return { metric: 'successRate', value: m.value, threshold, breached, ...budgetScore(100 - m.value, 100 - min, breached) };
}

function judgeCustom(name: string, m: Measured | undefined, min?: number, max?: number): MetricResult {
  const threshold = [min !== undefined ? `>= ${min}` : '', max !== undefined ? `<= ${max}` : ''].filter(Boolean).join(' and ') || 'any';
  if (!m || m.kind === 'no-data') return { metric: name, value: null, threshold, breached: false, score: null };
  const breached = (min !== undefined && m.value < min) || (max !== undefined && m.value > max);
  return { metric: name, value: m.value, threshold, breached, score: breached ? 0 : 100, zone: breached ? 'breached' : 'healthy' };
}

export function analyse(measurements: Measurements, policy: AnalysisPolicy): AnalysisOutcome {
  const { thresholds, weights } = policy;
  const latency = (['p50', 'p90', 'p99'] as const)
    .map((p) => judgeUpper(`latency${p.toUpperCase()}`, measurements.latencyMs[p], thresholds.latencyMs[p], 'ms'))
    .filter((r): r is MetricResult => r !== undefined);
  const custom = thresholds.custom.map((c) => ({ def: c, result: judgeCustom(c.name, measurements.custom[c.name], c.min, c.max) }));
  const success = judgeSuccessRate(measurements.successRate, thresholds.successRate);
  const errors = judgeUpper('errorRate', measurements.errorRate, thresholds.errorRate, '%');
  const metrics = [success, errors, ...latency, ...custom.map((c) => c.result)].filter((r): r is MetricResult => r !== undefined);

  const requests = measurements.requests.kind === 'value' ? measurements.requests.value : 0;
  if (requests < policy.minRequests) {
    return { verdict: 'inconclusive', score: null, metrics, reason: `only ${Math.round(requests)} canary requests in the window (minimum ${policy.minRequests})` };
  }
  const breaches = metrics.filter((m) => m.breached);
  const scored: Array<[number, number]> = [];
  const latencyScores = latency.map((l) => l.score).filter((s): s is number => s !== null);
  if (success?.score != null) scored.push([weights.successRate, success.score]);
  if (errors?.score != null) scored.push([weights.errorRate, errors.score]);
  if (latencyScores.length > 0) scored.push([weights.latency, Math.min(...latencyScores)]);
  for (const c of custom) if (c.result.score !== null && c.def.weight > 0) scored.push([c.def.weight, c.result.score]);
  const totalWeight = scored.reduce((sum, [w]) => sum + w, 0);
  const score = totalWeight > 0 ? Math.round((scored.reduce((sum, [w, s]) => sum + w * s, 0) / totalWeight) * 10) / 10 : null;
  const shown = (v: number | null): string => (v === null ? 'no data' : String(Math.round(v * 100) / 100));
  const describe = (list: MetricResult[]): string => list.map((m) => `${m.metric} ${shown(m.value)} (threshold ${m.threshold})`).join(', ');

  if (breaches.length > 0 && policy.hardFailOnBreach) return { verdict: 'fail', score, metrics, reason: `threshold breached: ${describe(breaches)}` };
  const missing = metrics.filter((m) => m.value === null);
  if (score === null || missing.length === metrics.length) {
    return { verdict: 'inconclusive', score, metrics, reason: `no data for ${describe(missing) || 'any metric'}` };
  }
  const near = metrics.filter((m) => m.zone === 'approaching' || m.zone === 'breached');
  const nearText = near.length > 0 ? `: ${describe(near)}` : '';
  if (score < PAUSE_SCORE) return { verdict: 'fail', score, metrics, reason: `health score ${score} < ${PAUSE_SCORE}${nearText}` };
  if (score < CONTINUE_SCORE) return { verdict: 'grey', score, metrics, reason: `health score ${score} is in the grey zone (${PAUSE_SCORE}..${CONTINUE_SCORE})${nearText}` };
  if (near.length > 0) {
    const what = breaches.length > 0 ? 'over or near its threshold' : 'approaching its threshold';
    return { verdict: 'grey', score, metrics, reason: `health score ${score}, but a metric is ${what}: ${describe(near)}` };
  }
  if (missing.length > 0) return { verdict: 'inconclusive', score, metrics, reason: `no data for ${describe(missing)}` };
  return { verdict: 'pass', score, metrics, reason: `health score ${score}` };
}
