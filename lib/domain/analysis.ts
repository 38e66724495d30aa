import type { Comparison } from './compare.js';
import type { Measured, Measurements } from './measurement.js';
import type { ScoreWeights, Thresholds } from './spec.js';

/**
 * One analysis: thresholds, the health score and a verdict.
 *
 * Health score (0..100) = Σ weightᵢ·scoreᵢ / Σ weightᵢ over the metrics that have a threshold and data:
 * - success rate: 100 while the error budget (100 − threshold) is respected, falling linearly to 0
 *   when twice the budget is spent;
 * - error rate and each latency percentile: 100 up to the threshold, falling linearly to 0 at twice it;
 *   latency takes the worst configured percentile;
 * - a custom metric: 100 inside [min, max], else 0.
 * Verdict: a breached threshold with `onMetricsFail` fails at once; otherwise score ≥ 80 passes,
 * ≥ 60 is the grey zone (pause), below 60 fails. Too few requests or no data is inconclusive.
 */
export type Verdict = 'pass' | 'grey' | 'fail' | 'inconclusive';

export interface MetricResult {
  metric: string;
  value: number | null;
  threshold: string;
  breached: boolean;
  /** 0..100 component of the health score; null when the metric had no data. */
  score: number | null;
}

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

const linearDown = (excess: number, span: number): number => (span <= 0 ? 0 : Math.max(0, 100 * (1 - excess / span)));
const upperBound = (v: number, limit: number): number => (v <= limit ? 100 : linearDown(v - limit, limit));

function judgeUpper(metric: string, m: Measured, limit: number | undefined, unit: string): MetricResult | undefined {
  if (limit === undefined) return undefined;
  const threshold = `<= ${limit}${unit}`;
  if (m.kind === 'no-data') return { metric, value: null, threshold, breached: false, score: null };
  return { metric, value: m.value, threshold, breached: m.value > limit, score: upperBound(m.value, limit) };
}

function judgeSuccessRate(m: Measured, min: number | undefined): MetricResult | undefined {
  if (min === undefined) return undefined;
  const threshold = `>= ${min}%`;
  if (m.kind === 'no-data') return { metric: 'successRate', value: null, threshold, breached: false, score: null };
  const budget = 100 - min;
  const spent = 100 - m.value;
  const score = spent <= budget ? 100 : linearDown(spent - budget, Math.max(budget, 0.01));
  return { metric: 'successRate', value: m.value, threshold, breached: m.value < min, score };
}

function judgeCustom(name: string, m: Measured | undefined, min?: number, max?: number): MetricResult {
  const threshold = [min !== undefined ? `>= ${min}` : '', max !== undefined ? `<= ${max}` : ''].filter(Boolean).join(' and ') || 'any';
  if (!m || m.kind === 'no-data') return { metric: name, value: null, threshold, breached: false, score: null };
  const breached = (min !== undefined && m.value < min) || (max !== undefined && m.value > max);
  return { metric: name, value: m.value, threshold, breached, score: breached ? 0 : 100 };
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
  if (score < PAUSE_SCORE) return { verdict: 'fail', score, metrics, reason: `health score ${score} < ${PAUSE_SCORE}: ${describe(breaches)}` };
  if (score < CONTINUE_SCORE) return { verdict: 'grey', score, metrics, reason: `health score ${score} is in the grey zone (${PAUSE_SCORE}..${CONTINUE_SCORE})` };
  if (missing.length > 0) return { verdict: 'inconclusive', score, metrics, reason: `no data for ${describe(missing)}` };
  return { verdict: 'pass', score, metrics, reason: `health score ${score}` };
}
