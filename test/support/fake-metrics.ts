import { value, type Measurements } from '../../lib/domain/measurement.js';
import type { RolloutSpec } from '../../lib/domain/spec.js';
import type { MetricsSource } from '../../lib/ports/metrics-source.js';

/** Canary metrics chosen by the test, per target; healthy by default. */
export class FakeMetrics implements MetricsSource {
  private readonly byTarget = new Map<string, Measurements>();

  static healthy(): Measurements {
    return { requests: value(1000), successRate: value(99.95), errorRate: value(0.05), latencyMs: { p50: value(20), p90: value(60), p99: value(120) }, custom: {} };
  }

  set(target: string, measurements: Measurements): void {
    this.byTarget.set(target, measurements);
  }

  async measure(spec: RolloutSpec): Promise<Measurements> {
    return this.byTarget.get(spec.targetDeployment) ?? FakeMetrics.healthy();
  }
}
