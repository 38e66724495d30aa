/**
 * A small Prometheus HTTP API client. It turns every answer into one of three things, never confused:
 * a number, "no data" (empty result, NaN, ±Inf), or a typed error: MetricQueryError when the query is at
 * fault (4xx), DependencyError when Prometheus is (timeout, 5xx, connection refused), retried first.
 */
import axios, { type AxiosResponse } from 'axios';
import { z } from 'zod';
import { DependencyError } from '../../app/errors.js';
import { noData, value, type Measured } from '../../domain/measurement.js';
import { MetricQueryError } from './errors.js';

export type PrometheusAuth = { bearer: string } | { username: string; password: string };

export interface PrometheusClientOptions {
  /** e.g. http://prometheus:9090 (a path prefix such as /prometheus is kept). */
  baseUrl: string;
  /** Per attempt, covering the whole answer. Default 5000. */
  timeoutMs?: number;
  /** Extra attempts after a network error, a timeout, a 429 or a 5xx. Default 2. */
  retries?: number;
  /** First backoff delay; doubled per retry, with jitter. Default 200. */
  backoffMs?: number;
  auth?: PrometheusAuth;
}

/** One point of a range query. */
export interface Point { at: Date; value: number }
export type Series = { kind: 'series'; points: Point[] } | { kind: 'no-data'; why: string };

// Prometheus sends sample values as strings so that NaN and ±Inf survive JSON.
const sample = z.tuple([z.number(), z.string()]);
const labelSet = z.record(z.string(), z.string());
const successBody = z.object({
  status: z.literal('success'),
  data: z.discriminatedUnion('resultType', [
    z.object({ resultType: z.literal('vector'), result: z.array(z.object({ metric: labelSet, value: sample })) }),
    z.object({ resultType: z.literal('matrix'), result: z.array(z.object({ metric: labelSet, values: z.array(sample) })) }),
    z.object({ resultType: z.literal('scalar'), result: sample }),
  ]),
});
const errorBody = z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() });
type Data = z.infer<typeof successBody>['data'];

const seconds = (d: Date): string => (d.getTime() / 1000).toFixed(3);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class PrometheusClient {
  private readonly http;
  private readonly where: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;

  constructor(options: PrometheusClientOptions) {
    const url = new URL(options.baseUrl);
    // Credentials in the URL would end up in error messages; the safe description drops them.
    this.where = `${url.origin}${url.pathname.replace(/\/$/, '')}`;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retries = options.retries ?? 2;
    this.backoffMs = options.backoffMs ?? 200;
    const auth = options.auth;
    this.http = axios.create({
      baseURL: `${options.baseUrl.replace(/\/$/, '')}/`,
      timeout: this.timeoutMs,
      // Every status is judged here, so a 400's error body is read instead of thrown away.
      validateStatus: () => true,
      ...(auth && 'bearer' in auth ? { headers: { Authorization: `Bearer ${auth.bearer}` } } : {}),
      ...(auth && 'username' in auth ? { auth: { username: auth.username, password: auth.password } } : {}),
    });
  }

  /** The query's value at `time`: one number, or no data. `metric` names the query in errors. */
  async instant(query: string, time: Date, metric = 'query'): Promise<Measured> {
    const data = await this.call('api/v1/query', { query, time: seconds(time) }, metric);
    if (data.resultType === 'scalar') return measured(data.result[1]);
    if (data.resultType !== 'vector') throw new MetricQueryError(metric, `returned a ${data.resultType}, expected a single number`);
    const [first, ...rest] = data.result;
    if (!first) return noData(`no series matched ${metric}`);
    if (rest.length > 0) throw new MetricQueryError(metric, `returned ${data.result.length} series, expected one: aggregate it, e.g. sum(...)`);
    return measured(first.value[1]);
  }

  /** The query evaluated every `stepSeconds` over [start, end]; NaN/Inf points are dropped as no data. */
  async range(query: string, start: Date, end: Date, stepSeconds: number, metric = 'query'): Promise<Series> {
    const data = await this.call('api/v1/query_range', { query, start: seconds(start), end: seconds(end), step: String(stepSeconds) }, metric);
    if (data.resultType !== 'matrix') throw new MetricQueryError(metric, `returned a ${data.resultType}, expected a range`);
    const [first, ...rest] = data.result;
    if (!first) return { kind: 'no-data', why: `no series matched ${metric}` };
    if (rest.length > 0) throw new MetricQueryError(metric, `returned ${data.result.length} series, expected one: aggregate it, e.g. sum(...)`);
    const points = first.values.map(([t, v]) => ({ at: new Date(t * 1000), value: Number(v) })).filter((p) => Number.isFinite(p.value));
    return points.length > 0 ? { kind: 'series', points } : { kind: 'no-data', why: `${metric} has no finite value in the range` };
  }

  private async call(path: string, params: Record<string, string>, metric: string): Promise<Data> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(path, params, metric);
      if (outcome.kind === 'done') return outcome.data;
      if (attempt >= this.retries) throw new DependencyError('prometheus', `${outcome.why} (${attempt + 1} attempts, ${this.where})`, true);
      // Exponential backoff with jitter, so that many ticks do not hammer a recovering server in step.
      await sleep(this.backoffMs * 2 ** attempt * (0.5 + Math.random() / 2));
    }
  }

  /** One request. Retryable failures come back as values; final ones are thrown. */
  private async attempt(path: string, params: Record<string, string>, metric: string): Promise<{ kind: 'done'; data: Data } | { kind: 'retry'; why: string }> {
    let response: AxiosResponse<unknown>;
    try {
      // POST form: a long custom query does not hit URL length limits. The signal bounds the whole
      // answer; axios' own timeout only notices a silent socket.
      response = await this.http.post(path, new URLSearchParams(params), { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      // Only the code and message are kept: the axios error holds the request config, credentials included.
      return { kind: 'retry', why: describeNetworkError(err, this.timeoutMs) };
    }
    const { status } = response;
    if (status === 429 || status >= 500) return { kind: 'retry', why: `answered HTTP ${status}${errorText(response.data)}` };
    if (status === 400 || status === 422) {
      // 400 bad_data: the PromQL does not parse; 422 execution: it parses but cannot be evaluated.
      throw new MetricQueryError(metric, `Prometheus rejected the query${errorText(response.data)}`);
    }
    if (status !== 200) throw new DependencyError('prometheus', `answered HTTP ${status}${errorText(response.data)} (${this.where}${status === 401 || status === 403 ? ': check the credentials' : ''})`, false);
    const parsed = successBody.safeParse(response.data);
    if (!parsed.success) throw new DependencyError('prometheus', `answered 200 with an unexpected body (${this.where}): ${z.prettifyError(parsed.error).slice(0, 300)}`, false);
    return { kind: 'done', data: parsed.data.data };
  }
}

/** A sample value, where NaN and ±Inf (0/0, an idle histogram) are no data rather than numbers. */
function measured(text: string): Measured {
  const v = Number(text);
  return Number.isFinite(v) ? value(v) : noData(`Prometheus returned ${text}`);
}

function errorText(body: unknown): string {
  const parsed = errorBody.safeParse(body);
  return parsed.success ? ` ${parsed.data.errorType}: ${parsed.data.error}` : '';
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (axios.isCancel(err) || (axios.isAxiosError(err) && (err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT'))) return `no answer within ${timeoutMs} ms`;
  if (axios.isAxiosError(err)) return `request failed: ${err.code ?? ''} ${err.message}`.trim();
  return `request failed: ${err instanceof Error ? err.message : String(err)}`;
}
