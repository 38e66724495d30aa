import { noData, type Measurements } from '../domain/measurement.js';
import type { MetricsSource } from '../ports/metrics-source.js';

/**
 * The metrics source when none is configured: every metric is explicitly "no data", so analyses are
 * inconclusive and nothing is promoted on missing evidence.
 */
export class NoMetricsSource implements MetricsSource {
  async measure(): Promise<Measurements> {
    const none = noData('no metrics source is configured (set CODEDANCE_PROMETHEUS_URL)');
    return { requests: none, successRate: none, errorRate: none, latencyMs: { p50: none, p90: none, p99: none }, custom: {} };
  }
}
