/**
 * The PromQL text the Prometheus adapter sends: built-in queries for given labels and windows, and the
 * substitution (with escaping) of custom metric templates. No network.
 */
import { describe, expect, it } from 'vitest';
import { MetricQueryError } from '../../lib/adapters/prometheus/errors.js';
import { PrometheusMetricsSource } from '../../lib/adapters/prometheus/metrics-source.js';
import {
  builtinQueries, DEFAULT_LABELS, DEFAULT_METRIC_NAMES, escapeLabelValue, matchers, promDuration, renderCustomQuery, type QueryScope,
} from '../../lib/adapters/prometheus/queries.js';

const canary: QueryScope = { target: 'shop', namespace: 'production', version: 'canary', windowMs: 60_000 };

describe('builtinQueries', () => {
  it('selects the canary of the target by app and version over the window', () => {
    // Act
    const q = builtinQueries(DEFAULT_LABELS, DEFAULT_METRIC_NAMES, canary);
    // Assess
    expect(q.requests).toBe('sum(increase(http_requests_total{app="shop",version="canary"}[60s]))');
    expect(q.successRate).toBe('100 * (sum(rate(http_requests_total{app="shop",version="canary",status=~"2.."}[60s])) or vector(0)) / sum(rate(http_requests_total{app="shop",version="canary"}[60s]))');
    expect(q.errorRate).toContain('status=~"5.."');
    expect(q.p99).toBe('1000 * histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{app="shop",version="canary"}[60s])))');
    expect(q.p50).toContain('histogram_quantile(0.5,');
    expect(q.p90).toContain('histogram_quantile(0.9,');
  });

  it('uses configured metric and label names, the stable value and the namespace label when set', () => {
    // Prepare
    const labels = { ...DEFAULT_LABELS, app: 'service', version: 'track', stableValue: 'primary', namespace: 'kubernetes_namespace', status: 'code' };
    const names = { requests: 'istio_requests_total', durationBucket: 'istio_request_duration_seconds_bucket' };
    // Act
    const q = builtinQueries(labels, names, { ...canary, version: 'stable', windowMs: 90_500 });
    // Assess
    expect(q.requests).toBe('sum(increase(istio_requests_total{service="shop",track="primary",kubernetes_namespace="production"}[90500ms]))');
    expect(q.errorRate).toContain('code=~"5.."');
    expect(q.p99).toContain('istio_request_duration_seconds_bucket{service="shop",track="primary",kubernetes_namespace="production"}[90500ms]');
  });

  it('escapes label values so a name cannot leave its string', () => {
    expect(matchers(DEFAULT_LABELS, { ...canary, target: 'a"} or up{x="\\' })).toBe('app="a\\"} or up{x=\\"\\\\",version="canary"');
  });
});

describe('promDuration and escapeLabelValue', () => {
  it.each([
    [60_000, '60s'], [1000, '1s'], [300_000, '300s'], [1500, '1500ms'], [0, '1ms'], [20_000.4, '20s'],
  ])('%d ms → %s', (ms, text) => {
    expect(promDuration(ms)).toBe(text);
  });

  it.each([
    ['plain-name', 'plain-name'], ['say "hi"', 'say \\"hi\\"'], ['back\\slash', 'back\\\\slash'], ['two\nlines', 'two\\nlines'],
  ])('%j → %j', (raw, escaped) => {
    expect(escapeLabelValue(raw)).toBe(escaped);
  });
});

describe('renderCustomQuery', () => {
  it('fills every template variable for the version being measured', () => {
    // Prepare
    const template = 'sum(rate(orders_failed_total{app="{{target}}",ns="{{ namespace }}",version="{{version}}"}[{{window}}])) / ignoring() sum(rate(x{version=~"{{canaryVersion}}|{{stableVersion}}"}[{{window}}]))';
    // Act
    const forCanary = renderCustomQuery('orders', template, DEFAULT_LABELS, canary);
    const forStable = renderCustomQuery('orders', template, DEFAULT_LABELS, { ...canary, version: 'stable', windowMs: 120_000 });
    // Assess
    expect(forCanary).toBe('sum(rate(orders_failed_total{app="shop",ns="production",version="canary"}[60s])) / ignoring() sum(rate(x{version=~"canary|stable"}[60s]))');
    expect(forStable).toContain('version="stable"}[120s]');
  });

  it('escapes substituted label values', () => {
    const q = renderCustomQuery('m', 'up{app="{{target}}"}', DEFAULT_LABELS, { ...canary, target: 'evil"}) or vector(1) #' });
    expect(q).toBe('up{app="evil\\"}) or vector(1) #"}');
  });

  it('leaves a query without variables alone', () => {
    expect(renderCustomQuery('m', 'sum(up)', DEFAULT_LABELS, canary)).toBe('sum(up)');
  });

  it('refuses an unknown variable, naming the metric', () => {
    const act = () => renderCustomQuery('checkout-errors', 'up{app="{{deployment}}"}', DEFAULT_LABELS, canary);
    expect(act).toThrow(MetricQueryError);
    expect(act).toThrow(/metric "checkout-errors": unknown template variable \{\{deployment\}\}/);
  });
});

describe('PrometheusMetricsSource options', () => {
  it('rejects a label or metric name that is not a PromQL identifier at construction', () => {
    expect(() => new PrometheusMetricsSource({ baseUrl: 'http://127.0.0.1:9', labels: { app: 'app"}' } })).toThrow(/label name/);
    expect(() => new PrometheusMetricsSource({ baseUrl: 'http://127.0.0.1:9', metricNames: { requests: 'http-requests' } })).toThrow(/metric name/);
  });
});
