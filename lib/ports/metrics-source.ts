import type { Measurements } from '../domain/measurement.js';
import type { ComparisonInput } from '../domain/compare.js';
import type { RolloutSpec } from '../domain/spec.js';

/**
 * Canary measurements for one analysis window ending at `now`. "No data" is a value inside
 * Measurements, never an exception; a thrown error means the source itself failed.
 */
export interface MetricsSource {
  measure(spec: RolloutSpec, now: Date): Promise<Measurements>;
  /** Canary and stable over the same window, for the opt-in comparison judge; absent when unsupported. */
  comparisonInput?(spec: RolloutSpec, now: Date): Promise<ComparisonInput>;
}
