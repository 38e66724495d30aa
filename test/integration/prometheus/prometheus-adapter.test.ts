/**
 * The Prometheus adapter against a REAL Prometheus (Debian's 2.42) scraping, every second, a small
 * exporter whose counters grow at rates the test chooses; and against node:http stubs for the failures
 * a real Prometheus will not produce on demand (a hang, a 503).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../infra/local/child-processes.js';
import { startPrometheus, type LocalPrometheus } from '../../../infra/local/prometheus/prometheus.js';
import { PrometheusClient } from '../../../lib/adapters/prometheus/client.js';
import { MetricQueryError } from '../../../lib/adapters/prometheus/errors.js';
import { PrometheusMetricsSource } from '../../../lib/adapters/prometheus/metrics-source.js';
import { DependencyError } from '../../../lib/app/errors.js';
import { parseCanaryDeployment, type RolloutSpec } from '../../../lib/domain/spec.js';
import { documentWith } from '../../support/fixtures.js';

/**
 * Every 100 ms tick each version serves 20 requests. Canary: 18 → 200, 2 → 500; durations 8 ≤ 50 ms,
 * 16 ≤ 100 ms, 19 ≤ 250 ms, 20 ≤ 500 ms, so p50 = 62.5, p90 = 200, p99 = 450 ms by histogram_quantile's
 * linear interpolation. Stable: all 200 and all ≤ 50 ms (p99 = 49.5 ms), with no 500 series at all.
 */
const BUCKETS = ['0.05', '0.1', '0.25', '0.5', '+Inf'];
const PER_TICK = {
  canary: { status: { '200': 18, '500': 2 }, buckets: [8, 16, 19, 20, 20] },
  stable: { status: { '200': 20 }, buckets: [20, 20, 20, 20, 20] },
};

function exposition(ticks: number): string {
  const lines = ['# TYPE http_requests_total counter'];
  for (const [version, v] of Object.entries(PER_TICK)) {
    for (const [status, n] of Object.entries(v.status)) lines.push(`http_requests_total{app="shop",version="${version}",status="${status}"} ${n * ticks}`);
  }
  lines.push('# TYPE http_request_duration_seconds histogram');
  for (const [version, v] of Object.entries(PER_TICK)) {
    const sel = `app="shop",version="${version}"`;
    BUCKETS.forEach((le, i) => lines.push(`http_request_duration_seconds_bucket{${sel},le="${le}"} ${(v.buckets[i] ?? 0) * ticks}`));
    lines.push(`http_request_duration_seconds_sum{${sel}} ${0.05 * 20 * ticks}`, `http_request_duration_seconds_count{${sel}} ${20 * ticks}`);
  }
  return `${lines.join('\n')}\n`;
}

async function listen(handler: (req: IncomingMessage, res: import('node:http').ServerResponse) => void): Promise<{ server: Server; url: string; hostPort: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo; // our own server's address, not external data
  return { server, url: `http://127.0.0.1:${port}`, hostPort: `127.0.0.1:${port}` };
}

const close = (server: Server): Promise<void> => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });

function shopSpec(custom: Array<{ name: string; query: string }> = []): RolloutSpec {
  return parseCanaryDeployment(documentWith({ targetDeployment: 'shop', analysis: { window: '30s' }, metrics: { successRate: { threshold: 99 }, custom } })).spec;
}

describe('PrometheusMetricsSource on a real Prometheus', () => {
  let exporter: Awaited<ReturnType<typeof listen>>;
  let prometheus: LocalPrometheus;
  let source: PrometheusMetricsSource;

  beforeAll(async () => {
    // Prepare: the exporter's counters follow the wall clock, so rates do not depend on scrape timing.
    const started = Date.now();
    exporter = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition(Math.floor((Date.now() - started) / 100)));
    });
    prometheus = await startPrometheus({ scrapeTargets: [exporter.hostPort], scrapeIntervalSeconds: 1 });
    source = new PrometheusMetricsSource({ baseUrl: prometheus.url, seriesStepSeconds: 2 });
    // rate() needs two samples in its range; wait for five scrapes so every window has plenty.
    const client = new PrometheusClient({ baseUrl: prometheus.url });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const scrapes = await client.instant('count_over_time(up{job="local"}[1m])', new Date());
      if (scrapes.kind === 'value' && scrapes.value >= 5) break;
      if (Date.now() > deadline) throw new Error(`Prometheus did not scrape the exporter 5 times within 30 s: ${JSON.stringify(scrapes)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    if (exporter) await close(exporter.server);
  });

  it('measures the canary: traffic, success and error rate, latency percentiles and a custom query', async () => {
    // Act
    // The custom query is a ratio: the series are younger than the 30 s window, and rate() divides by the
    // whole range, so an absolute per-second rate reads low until the window is full; shares do not.
    const failures = 'sum(rate(http_requests_total{app="{{target}}",version="{{version}}",status=~"5.."}[{{window}}]))';
    const all = 'sum(rate(http_requests_total{app="{{target}}",version="{{version}}"}[{{window}}]))';
    const m = await source.measure(shopSpec([{ name: 'failureShare', query: `100 * ${failures} / ${all}` }]), new Date());
    // Assess
    expect(m.requests).toMatchObject({ kind: 'value' });
    expect(m.requests.kind === 'value' && m.requests.value).toBeGreaterThan(500); // ≥ 5 s at 200 req/s
    expect(m.successRate).toEqual({ kind: 'value', value: expect.closeTo(90, 1) });
    expect(m.errorRate).toEqual({ kind: 'value', value: expect.closeTo(10, 1) });
    expect(m.latencyMs.p50).toEqual({ kind: 'value', value: expect.closeTo(62.5, 0) });
    expect(m.latencyMs.p90).toEqual({ kind: 'value', value: expect.closeTo(200, 0) });
    expect(m.latencyMs.p99).toEqual({ kind: 'value', value: expect.closeTo(450, 0) });
    expect(m.custom.failureShare).toEqual({ kind: 'value', value: expect.closeTo(10, 1) });
  }, 30_000);

  it('measures stable apart from the canary; a missing 5xx series is a 0% error rate, not no data', async () => {
    const m = await source.measureStable(shopSpec(), new Date());
    expect(m.successRate).toEqual({ kind: 'value', value: expect.closeTo(100, 1) });
    expect(m.errorRate).toEqual({ kind: 'value', value: 0 });
    expect(m.latencyMs.p99).toEqual({ kind: 'value', value: expect.closeTo(49.5, 0) });
  }, 30_000);

  it('gives no data, not an error, for a version without series and for NaN', async () => {
    // Prepare: pods labelled version=v3 never served a request.
    const unknownVersion = new PrometheusMetricsSource({ baseUrl: prometheus.url, labels: { canaryValue: 'v3' } });
    // Act
    const m = await unknownVersion.measure(shopSpec([{ name: 'nan', query: '0/0' }, { name: 'inf', query: '1/0' }]), new Date());
    // Assess
    for (const measured of [m.requests, m.successRate, m.errorRate, m.latencyMs.p50, m.latencyMs.p99]) expect(measured).toMatchObject({ kind: 'no-data' });
    expect(m.custom.nan).toEqual({ kind: 'no-data', why: 'Prometheus returned NaN' });
    expect(m.custom.inf).toEqual({ kind: 'no-data', why: 'Prometheus returned +Inf' });
  }, 30_000);

  it('rejects bad PromQL with a MetricQueryError naming the metric', async () => {
    const act = source.measure(shopSpec([{ name: 'checkout-errors', query: 'sum(rate(http_requests_total[1m]' }]), new Date());
    await expect(act).rejects.toBeInstanceOf(MetricQueryError);
    await expect(act).rejects.toMatchObject({ code: 'InvalidMetricQuery', status: 400, metric: 'checkout-errors', message: expect.stringMatching(/metric "checkout-errors": .*bad_data.*parse error/) });
  }, 30_000);

  it('returns the p99 latency series over the window for a later rank test', async () => {
    const canary = await source.latencySeries(shopSpec(), 'canary', new Date());
    const stable = await source.latencySeries(shopSpec(), 'stable', new Date());
    expect(canary.kind === 'series' && canary.points.length).toBeGreaterThanOrEqual(2);
    if (canary.kind !== 'series' || stable.kind !== 'series') throw new Error('expected series');
    for (const p of canary.points) expect(p.value).toBeCloseTo(450, 0);
    for (const p of stable.points) expect(p.value).toBeCloseTo(49.5, 0);
  }, 30_000);
});

describe('PrometheusClient when Prometheus fails', () => {
  it('a server that never answers is a transient DependencyError after the timeout, retried', async () => {
    // Prepare
    let requests = 0;
    const stub = await listen(() => { requests++; /* never answer */ });
    const client = new PrometheusClient({ baseUrl: stub.url, timeoutMs: 500, retries: 1, backoffMs: 50 });
    const started = Date.now();
    try {
      // Act + Assess
      await expect(client.instant('up', new Date(), 'requests')).rejects.toMatchObject({ constructor: DependencyError, dependency: 'prometheus', transient: true, message: expect.stringContaining('no answer within 500 ms') });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(requests).toBe(2);
    } finally {
      await close(stub.server);
    }
  }, 20_000);

  it('a 5xx is retried with backoff, then a transient DependencyError that does not leak the token', async () => {
    const seen: Array<string | undefined> = [];
    const stub = await listen((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', errorType: 'unavailable', error: 'TSDB not ready' }));
    });
    const client = new PrometheusClient({ baseUrl: stub.url, retries: 2, backoffMs: 20, auth: { bearer: 's3cret-token' } });
    try {
      const err = await client.instant('up', new Date()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DependencyError);
      expect(err).toMatchObject({ transient: true, message: expect.stringContaining('HTTP 503 unavailable: TSDB not ready (3 attempts') });
      expect(String(err)).not.toContain('s3cret-token');
      expect(seen).toEqual(['Bearer s3cret-token', 'Bearer s3cret-token', 'Bearer s3cret-token']);
    } finally {
      await close(stub.server);
    }
  }, 20_000);

  it('basic auth is sent; connection refused is a transient DependencyError', async () => {
    const seen: Array<string | undefined> = [];
    const stub = await listen((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '42'] } }));
    });
    try {
      await expect(new PrometheusClient({ baseUrl: stub.url, auth: { username: 'ops', password: 'pw' } }).instant('42', new Date())).resolves.toEqual({ kind: 'value', value: 42 });
      expect(seen).toEqual([`Basic ${Buffer.from('ops:pw').toString('base64')}`]);
    } finally {
      await close(stub.server);
    }
    const nobody = new PrometheusClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, retries: 1, backoffMs: 10 });
    await expect(nobody.instant('up', new Date())).rejects.toMatchObject({ constructor: DependencyError, transient: true, message: expect.stringContaining('ECONNREFUSED') });
  }, 20_000);
});
