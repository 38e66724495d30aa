/**
 * A measured metric is either a value or explicitly "no data" (an empty Prometheus result, NaN,
 * no traffic). The two are never confused: no data can make an analysis inconclusive, never pass it.
 */
export type Measured = { kind: 'value'; value: number } | { kind: 'no-data'; why: string };

export const value = (v: number): Measured => ({ kind: 'value', value: v });
export const noData = (why: string): Measured => ({ kind: 'no-data', why });

/** Canary measurements over one analysis window. Rates in percent, latencies in milliseconds. */
export interface Measurements {
  requests: Measured;
  successRate: Measured;
  errorRate: Measured;
  latencyMs: { p50: Measured; p90: Measured; p99: Measured };
  custom: Record<string, Measured>;
}
