import type { AuditEvent, MetricResult, RolloutView } from './api';

/**
 * Chart series rebuilt from the audit trail, which records every weight change and every analysis
 * with its inputs (lib/domain/decide.ts), so the charts show history, not just the latest poll.
 */
export interface Point { t: number; v: number }
export interface Threshold { value: number; label: string }
export interface MetricSeries { metric: string; unit: string; points: Point[]; thresholds: Threshold[]; breached: boolean }

const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/**
 * Share of traffic on the new version over time: each step's weight, 0 from the moment a rollback is
 * decided, and 100 once the new version is promoted to stable (the canary weight itself drops to 0
 * then, but all traffic runs the new image).
 */
export function weightSeries(events: AuditEvent[], rollout: RolloutView | undefined, now: number): Point[] {
  const points: Point[] = [];
  const push = (at: string, v: number): void => {
    const t = Date.parse(at);
    if (!Number.isNaN(t)) points.push({ t, v });
  };
  for (const event of events) {
    if (event.type === 'RolloutStarted') push(event.at, 0);
    else if (event.type === 'StepAdvanced') push(event.at, num(event.data?.weight) ?? 0);
    else if (event.type === 'Analysis' && num(event.data?.weight) !== undefined) push(event.at, num(event.data?.weight) ?? 0);
    else if (event.type === 'RollbackStarted' || event.type === 'RolledBack' || event.type === 'Aborted') push(event.at, 0);
    else if (event.type === 'Completed') push(event.at, 100);
    else if (event.type === 'Approved' && typeof event.data?.gate === 'number') {
      // Approving step N's gate enters step N at once: its weight applies from the approval on.
      const step = rollout?.spec.steps[event.data.gate];
      if (step) push(event.at, step.weight);
    }
  }
  if (rollout) {
    const current = rollout.phase === 'Completed' ? 100 : rollout.canaryWeight;
    const ended = rollout.phase === 'Completed' || rollout.phase === 'Failed';
    push(ended ? rollout.updatedAt : new Date(now).toISOString(), current);
  }
  return points.sort((a, b) => a.t - b.t);
}

/** Threshold strings as analysis writes them: `>= 99%`, `<= 300ms`, `>= 1 and <= 5`, `any`. */
export function parseThreshold(text: string): { thresholds: Threshold[]; unit: string } {
  const thresholds: Threshold[] = [];
  let unit = '';
  for (const match of text.matchAll(/(>=|<=)\s*(-?\d+(?:\.\d+)?)\s*(ms|%)?/g)) {
    thresholds.push({ value: Number(match[2]), label: `${match[1] === '>=' ? 'min' : 'max'} ${match[2]}${match[3] ?? ''}` });
    unit ||= match[3] ?? '';
  }
  return { thresholds, unit };
}

const isMetricResult = (value: unknown): value is MetricResult =>
  typeof value === 'object' && value !== null && typeof (value as { metric?: unknown }).metric === 'string' && typeof (value as { threshold?: unknown }).threshold === 'string';

/** One series per metric judged by the analyses, each with the threshold lines it was judged against. */
export function metricSeries(events: AuditEvent[]): MetricSeries[] {
  const byMetric = new Map<string, MetricSeries>();
  for (const event of events) {
    if (event.type !== 'Analysis' || !Array.isArray(event.data?.metrics)) continue;
    const t = Date.parse(event.at);
    for (const result of event.data.metrics) {
      if (!isMetricResult(result)) continue;
      let series = byMetric.get(result.metric);
      if (!series) {
        const { thresholds, unit } = parseThreshold(result.threshold);
        series = { metric: result.metric, unit, points: [], thresholds, breached: false };
        byMetric.set(result.metric, series);
      }
      if (result.value !== null) series.points.push({ t, v: result.value });
      series.breached ||= result.breached;
    }
  }
  return [...byMetric.values()];
}

/** The health score of each analysis that had one (inconclusive analyses have none). */
export function scoreSeries(events: AuditEvent[]): Point[] {
  return events
    .filter((e) => e.type === 'Analysis' && num(e.data?.score) !== undefined)
    .map((e) => ({ t: Date.parse(e.at), v: num(e.data?.score) ?? 0 }));
}

/** Audit types that are decisions, shown with their reason in the trail. */
export const DECISIONS = new Set(['Analysis', 'StepAdvanced', 'ApprovalRequested', 'Approved', 'Rejected', 'Paused', 'Resumed', 'Aborted', 'PromotionStarted', 'RollbackStarted', 'RolledBack', 'RollbackIncomplete', 'PromotionFailed', 'TargetChanged', 'Completed']);
