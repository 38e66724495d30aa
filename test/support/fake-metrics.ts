import { value, type Measurements } from '../../lib/domain/measurement.js';
import type { ComparisonInput } from '../../lib/domain/compare.js';
import type { RolloutSpec } from '../../lib/domain/spec.js';
import type { MetricsSource } from '../../lib/ports/metrics-source.js';

/** Canary metrics chosen by the test, per target; healthy by default. */
export class FakeMetrics implements MetricsSource {
  private readonly byTarget = new Map<string, Measurements>();
  private readonly comparisons = new Map<string, ComparisonInput>();

  static healthy(): Measurements {
    return { requests: value(1000), successRate: value(99.95), errorRate: value(0.05), latencyMs: { p50: value(20), p90: value(60), p99: value(120) }, custom: {} };
  }

  set(target: string, measurements: Measurements): void {
    this.byTarget.set(target, measurements);
  }

  setComparison(target: string, input: ComparisonInput): void {
    this.comparisons.set(target, input);
  }

  async comparisonInput(spec: RolloutSpec): Promise<ComparisonInput> {
    const same = { requests: 1000, errors: 1, latencySeries: [40, 42, 41, 43, 40, 44] };
    return this.comparisons.get(spec.targetDeployment) ?? { canary: same, stable: same };
  }

  async measure(spec: RolloutSpec): Promise<Measurements> {
    return this.byTarget.get(spec.targetDeployment) ?? FakeMetrics.healthy();
  }
}
