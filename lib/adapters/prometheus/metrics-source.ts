/**
 * The MetricsSource backed by Prometheus: the built-in queries (traffic, success and error rate, latency
 * percentiles) and the spec's custom PromQL for one version of the target, over the analysis window.
 */
import type { Measured, Measurements } from '../../domain/measurement.js';
import type { ComparisonInput, VersionWindow } from '../../domain/compare.js';
import type { RolloutSpec } from '../../domain/spec.js';
import type { MetricsSource } from '../../ports/metrics-source.js';
import { PrometheusClient, type PrometheusClientOptions, type Series } from './client.js';
import {
  builtinQueries, checkNames, DEFAULT_LABELS, DEFAULT_METRIC_NAMES, latencyQuery, promDuration, renderCustomQuery,
  type MetricNames, type PromLabels, type QueryScope, type Version,
} from './queries.js';

export interface PrometheusMetricsSourceOptions extends PrometheusClientOptions {
  /** Label names and the version label's values; unset fields keep the defaults (app, version=canary|stable, status). */
  labels?: Partial<PromLabels>;
  /** Unset fields keep http_requests_total and http_request_duration_seconds_bucket. */
  metricNames?: Partial<MetricNames>;
  /** Step of latencySeries, seconds. Default 10. */
  seriesStepSeconds?: number;
}

export class PrometheusMetricsSource implements MetricsSource {
  private readonly client: PrometheusClient;
  private readonly labels: PromLabels;
  private readonly names: MetricNames;
  private readonly stepSeconds: number;

  constructor(options: PrometheusMetricsSourceOptions, client?: PrometheusClient) {
    this.labels = { ...DEFAULT_LABELS, ...options.labels };
    this.names = { ...DEFAULT_METRIC_NAMES, ...options.metricNames };
    // Fail at start-up on a misconfigured name, not on the first tick as a puzzling PromQL error.
    checkNames(this.labels, this.names);
    this.stepSeconds = options.seriesStepSeconds ?? 10;
    this.client = client ?? new PrometheusClient(options);
  }

  /** The canary's measurements for the window ending at `now`. */
  measure(spec: RolloutSpec, now: Date): Promise<Measurements> {
    return this.measureVersion(spec, 'canary', now);
  }

  /** Canary and stable over the same window: request and error counts, and p99 latency series. */
  async comparisonInput(spec: RolloutSpec, now: Date): Promise<ComparisonInput> {
    const [canary, stable, canarySeries, stableSeries] = await Promise.all([
      this.measure(spec, now), this.measureStable(spec, now), this.latencySeries(spec, 'canary', now), this.latencySeries(spec, 'stable', now),
    ]);
    const window = (m: Measurements, series: Series): VersionWindow => {
      const requests = m.requests.kind === 'value' ? m.requests.value : 0;
      const errorShare = m.errorRate.kind === 'value' ? m.errorRate.value / 100 : 0;
      return { requests, errors: requests * errorShare, latencySeries: series.kind === 'series' ? series.points.map((p) => p.value) : [] };
    };
    return { canary: window(canary, canarySeries), stable: window(stable, stableSeries) };
  }

  /** The same measurements for the stable pods, to compare the canary against. */
  measureStable(spec: RolloutSpec, now: Date): Promise<Measurements> {
    return this.measureVersion(spec, 'stable', now);
  }

  /**
   * p99 latency (ms) of one version at every step of the window ending at `now`, for a rank test
   * (Mann-Whitney) between canary and stable. Steps without traffic are left out, not zero.
   */
  latencySeries(spec: RolloutSpec, version: Version, now: Date): Promise<Series> {
    const scope = this.scope(spec, version);
    // Each point's rate needs two samples in its range; twice the step covers a scrape interval up to
    // the step. Points overlap, which a rank test tolerates better than empty points.
    const query = latencyQuery(this.labels, this.names, scope, 0.99, promDuration(2 * this.stepSeconds * 1000));
    return this.client.range(query, new Date(now.getTime() - spec.analysis.windowMs), now, this.stepSeconds, `${version} p99 latency series`);
  }

  private async measureVersion(spec: RolloutSpec, version: Version, now: Date): Promise<Measurements> {
    const scope = this.scope(spec, version);
    const q = builtinQueries(this.labels, this.names, scope);
    const run = (query: string, metric: string): Promise<Measured> => this.client.instant(query, now, metric);
    // Render every custom query before sending anything, so a template mistake fails fast.
    const custom = spec.thresholds.custom.map((m) => ({ name: m.name, query: renderCustomQuery(m.name, m.query, this.labels, scope) }));
    const [[requests, successRate, errorRate, p50, p90, p99], customEntries] = await Promise.all([
      Promise.all([
        run(q.requests, 'requests'), run(q.successRate, 'successRate'), run(q.errorRate, 'errorRate'),
        run(q.p50, 'latency p50'), run(q.p90, 'latency p90'), run(q.p99, 'latency p99'),
      ]),
      Promise.all(custom.map(async (m): Promise<[string, Measured]> => [m.name, await run(m.query, m.name)])),
    ]);
    return { requests, successRate, errorRate, latencyMs: { p50, p90, p99 }, custom: Object.fromEntries(customEntries) };
  }

  private scope(spec: RolloutSpec, version: Version): QueryScope {
    return { target: spec.targetDeployment, namespace: spec.namespace, version, windowMs: spec.analysis.windowMs };
  }
}
