/**
 * The PromQL the engine runs. Pure text building, so it is unit-tested without a Prometheus. Metric and
 * label names are configurable because every shop instruments differently; the defaults match the demo
 * workload and the labels the engine puts on canary pods (`version: canary`).
 */
import { MetricQueryError } from './errors.js';

/** Label names (and the version label's two values) the queries select on. */
export interface PromLabels {
  /** Label carrying the target Deployment's name. */
  app: string;
  /** Label telling canary from stable pods. */
  version: string;
  canaryValue: string;
  stableValue: string;
  /** Label carrying the Kubernetes namespace; off (undefined) by default because many setups lack it. */
  namespace?: string;
  /** Label carrying the HTTP status code. */
  status: string;
}

export interface MetricNames {
  /** Counter of HTTP requests, labelled with the status code. */
  requests: string;
  /** Histogram buckets (`le` label) of the request duration in seconds. */
  durationBucket: string;
}

export const DEFAULT_LABELS: PromLabels = { app: 'app', version: 'version', canaryValue: 'canary', stableValue: 'stable', status: 'status' };
export const DEFAULT_METRIC_NAMES: MetricNames = { requests: 'http_requests_total', durationBucket: 'http_request_duration_seconds_bucket' };

export type Version = 'canary' | 'stable';

/** What one set of queries is about: a target's pods of one version over one window. */
export interface QueryScope {
  target: string;
  namespace: string;
  version: Version;
  windowMs: number;
}

export interface BuiltinQueries {
  requests: string;
  successRate: string;
  errorRate: string;
  p50: string;
  p90: string;
  p99: string;
}

/**
 * Escapes a value for a double-quoted PromQL string. PromQL strings use Go's escapes, so a backslash, a
 * quote or a newline in a name would otherwise end the string or change the query.
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** A PromQL range duration: whole seconds where possible (`60s`), else milliseconds; never below 1ms. */
export function promDuration(ms: number): string {
  const whole = Math.max(1, Math.round(ms));
  return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Rejects names that are not PromQL identifiers: they come from configuration and are spliced in raw. */
export function checkNames(labels: PromLabels, names: MetricNames): void {
  for (const l of [labels.app, labels.version, labels.status, ...(labels.namespace ? [labels.namespace] : [])]) {
    if (!LABEL_NAME.test(l)) throw new Error(`Prometheus label name "${l}" is not a valid label name`);
  }
  for (const m of [names.requests, names.durationBucket]) {
    if (!METRIC_NAME.test(m)) throw new Error(`Prometheus metric name "${m}" is not a valid metric name`);
  }
}

export const versionValue = (labels: PromLabels, version: Version): string => (version === 'canary' ? labels.canaryValue : labels.stableValue);

/** The matchers selecting the scope's series, e.g. `app="shop",version="canary"` (no braces). */
export function matchers(labels: PromLabels, scope: QueryScope): string {
  const parts = [`${labels.app}="${escapeLabelValue(scope.target)}"`, `${labels.version}="${escapeLabelValue(versionValue(labels, scope.version))}"`];
  if (labels.namespace) parts.push(`${labels.namespace}="${escapeLabelValue(scope.namespace)}"`);
  return parts.join(',');
}

/** The latency quantile expression (ms) over `range`; shared by the instant queries and the range series. */
export function latencyQuery(labels: PromLabels, names: MetricNames, scope: QueryScope, quantile: number, range: string): string {
  // Summing by le across pods first gives the quantile of all requests, not an average of per-pod quantiles.
  return `1000 * histogram_quantile(${quantile}, sum by (le) (rate(${names.durationBucket}{${matchers(labels, scope)}}[${range}])))`;
}

export function builtinQueries(labels: PromLabels, names: MetricNames, scope: QueryScope): BuiltinQueries {
  const sel = matchers(labels, scope);
  const w = promDuration(scope.windowMs);
  const total = `sum(rate(${names.requests}{${sel}}[${w}]))`;
  // `or vector(0)`: with no 5xx series at all the share is 0, not "no data". The total stays without
  // it, so no traffic at all leaves an empty result (no data) and an idle window gives 0/0 = NaN (no data).
  const share = (statusRegex: string): string =>
    `100 * (sum(rate(${names.requests}{${sel},${labels.status}=~"${statusRegex}"}[${w}])) or vector(0)) / ${total}`;
  return {
    // increase() extrapolates to the window's edges, so the count is an estimate, not always a whole number.
    requests: `sum(increase(${names.requests}{${sel}}[${w}]))`,
    successRate: share('2..'),
    errorRate: share('5..'),
    p50: latencyQuery(labels, names, scope, 0.5, w),
    p90: latencyQuery(labels, names, scope, 0.9, w),
    p99: latencyQuery(labels, names, scope, 0.99, w),
  };
}

/** The variables a custom metric's query may use. */
export const TEMPLATE_VARIABLES = ['target', 'namespace', 'version', 'canaryVersion', 'stableVersion', 'window'] as const;
type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

/**
 * Fills `{{variable}}` in a custom metric's PromQL. Label values are escaped for a double-quoted string
 * (`app="{{target}}"`), so a name cannot break out of the string; an unknown variable is the user's
 * mistake and is reported naming the metric rather than sent to Prometheus as odd PromQL.
 */
export function renderCustomQuery(metric: string, template: string, labels: PromLabels, scope: QueryScope): string {
  const vars: Record<TemplateVariable, string> = {
    target: escapeLabelValue(scope.target),
    namespace: escapeLabelValue(scope.namespace),
    version: escapeLabelValue(versionValue(labels, scope.version)),
    canaryVersion: escapeLabelValue(labels.canaryValue),
    stableVersion: escapeLabelValue(labels.stableValue),
    window: promDuration(scope.windowMs),
  };
  const known: Record<string, string> = vars;
  return template.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (_match, name: string) => {
    const replacement = known[name];
    if (replacement === undefined) {
      throw new MetricQueryError(metric, `unknown template variable {{${name}}}; use one of ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`);
    }
    return replacement;
  });
}
