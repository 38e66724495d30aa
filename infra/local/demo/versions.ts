/**
 * LOCAL DEMO ONLY — stand-in for the pods of one version of the demo app. Locally kwok marks pods Ready but
 * runs no container, and their IPs are fake, so each version (stable, canary) of the demo app is this small
 * node:http server on 127.0.0.1 instead. Its behaviour follows the image tag the cluster says that version
 * runs, so a rollout of `myapp:v2-faulty` really shows errors in Prometheus:
 *
 *   tag containing "faulty" → HTTP 500 for ~8 % of requests
 *   tag containing "slow"   → ~400 ms extra latency
 *   anything else           → healthy, 5–30 ms jittered latency
 *
 * GET /metrics speaks the Prometheus text format, with the series the engine's default queries read:
 * http_requests_total{app,version,status} and http_request_duration_seconds{app,version} (histogram).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type DemoVersion = 'stable' | 'canary';

export interface DemoServiceOptions {
  /** The target Deployment's name; the `app` label of every series. */
  app: string;
  version: DemoVersion;
  /** Image the version runs, e.g. `myapp:v2-faulty`; only its tag matters. */
  image: string;
  /** Fixed port (so a Prometheus config can be static); default a free one. */
  port?: number;
}

export interface DemoService {
  readonly app: string;
  readonly version: DemoVersion;
  readonly port: number;
  /** `127.0.0.1:<port>`, the Prometheus scrape target. */
  readonly target: string;
  image(): string;
  /** Switches behaviour; counters continue (Prometheus' rate() copes either way). */
  setImage(image: string): void;
  /** Requests served so far by status code (the /metrics counters, as numbers). */
  counts(): Record<string, number>;
  stop(): Promise<void>;
}

/** Upper bounds in seconds: fine below 100 ms (healthy), coarse up to 2.5 s (slow, timeouts). */
export const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;
/** Failures per deck: 2 of every 25 requests = 8 %, shuffled so they do not arrive on a fixed beat. */
const DECK = { size: 25, failures: 2 };

export interface Behaviour { failing: boolean; slow: boolean }

/** Tag of an image reference: after the last ':' of the last path segment, digest dropped (pure). */
export function imageTag(image: string): string {
  const name = image.split('@')[0]?.split('/').pop() ?? '';
  const colon = name.lastIndexOf(':');
  return colon < 0 ? 'latest' : name.slice(colon + 1);
}

export function behaviourOf(image: string): Behaviour {
  const tag = imageTag(image).toLowerCase();
  return { failing: tag.includes('faulty'), slow: tag.includes('slow') };
}

/** Service time in ms: mostly 5–30 ms, a thin tail up to ~80 ms (a real service is never flat), +~400 ms when slow. */
function latencyMs(b: Behaviour): number {
  const base = 5 + Math.random() * 25 + (Math.random() < 0.02 ? Math.random() * 50 : 0);
  return base + (b.slow ? 350 + Math.random() * 100 : 0);
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export async function startDemoService(opts: DemoServiceOptions): Promise<DemoService> {
  const { app, version } = opts;
  let image = opts.image;
  let behaviour = behaviourOf(image);
  const byStatus = new Map<string, number>();
  const bucketCounts: number[] = BUCKETS.map(() => 0);
  let sum = 0;
  let count = 0;
  let deck: boolean[] = [];

  const nextFails = () => {
    if (deck.length === 0) {
      deck = Array.from({ length: DECK.size }, (_, i) => i < DECK.failures);
      for (let i = deck.length - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); [deck[i], deck[j]] = [deck[j]!, deck[i]!]; }
    }
    return deck.pop() ?? false;
  };

  const observe = (status: number, seconds: number) => {
    byStatus.set(String(status), (byStatus.get(String(status)) ?? 0) + 1);
    BUCKETS.forEach((le, i) => { if (seconds <= le) bucketCounts[i]! += 1; });
    sum += seconds;
    count += 1;
  };

  const metrics = (): string => {
    const l = `app="${esc(app)}",version="${version}"`;
    const lines = [
      '# HELP http_requests_total Requests served by the demo app (local stand-in for the mesh\'s request metrics).',
      '# TYPE http_requests_total counter',
      ...[...byStatus].map(([status, n]) => `http_requests_total{${l},status="${status}"} ${n}`),
      '# HELP http_request_duration_seconds Time to serve a request, measured in the demo app.',
      '# TYPE http_request_duration_seconds histogram',
      ...BUCKETS.map((le, i) => `http_request_duration_seconds_bucket{${l},le="${le}"} ${bucketCounts[i]}`),
      `http_request_duration_seconds_bucket{${l},le="+Inf"} ${count}`,
      `http_request_duration_seconds_sum{${l}} ${sum}`,
      `http_request_duration_seconds_count{${l}} ${count}`,
      '# HELP demo_version_info Image this version of the demo app runs.',
      '# TYPE demo_version_info gauge',
      `demo_version_info{${l},image="${esc(image)}"} 1`,
    ];
    return `${lines.join('\n')}\n`;
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metrics());
      return;
    }
    req.resume(); // drain any body; the demo ignores it
    const started = process.hrtime.bigint();
    const b = behaviour; // decided on arrival: an image switch mid-request does not change this one
    const status = b.failing && nextFails() ? 500 : 200;
    setTimeout(() => {
      const body = status === 200 ? { app, version, image } : { error: 'simulated failure', app, version, image };
      res.writeHead(status, { 'content-type': 'application/json', 'x-demo-version': version }).end(JSON.stringify(body));
      observe(status, Number(process.hrtime.bigint() - started) / 1e9);
    }, latencyMs(b));
  };

  const server = createServer(handle);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;

  return {
    app,
    version,
    port,
    target: `127.0.0.1:${port}`,
    image: () => image,
    setImage(next) {
      image = next;
      behaviour = behaviourOf(next);
    },
    counts: () => Object.fromEntries(byStatus),
    stop: () => (stopping ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections(); // keep-alive sockets would otherwise hold close() open
    })),
  };
}
