import { AppError } from '../../app/errors.js';

/**
 * Prometheus refused a metric's query (bad PromQL, an unknown template variable, a query that does not
 * yield one number). Unlike a DependencyError it will not heal by retrying: the spec must change, so it
 * names the metric.
 */
export class MetricQueryError extends AppError {
  constructor(readonly metric: string, message: string, options?: ErrorOptions) {
    super('InvalidMetricQuery', 400, `metric "${metric}": ${message}`, [{ path: 'spec.metrics', message: `${metric}: ${message}` }], options);
  }
}
