import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type PrometheusFault = 'healthy' | 'down' | 'slow' | 'garbage' | 'wrong-shape';

/**
 * A stand-in for Prometheus on 127.0.0.1 that answers the engine's built-in queries with a healthy
 * canary, or misbehaves on demand: `down` closes the port (connection refused), `slow` answers only
 * after `slowMs`, `garbage` answers 200 with HTML, `wrong-shape` answers JSON that is not a query result.
 */
export interface FaultyPrometheus {
  url: string;
  set(fault: PrometheusFault): Promise<void>;
  /** Requests answered (or held) so far, by fault mode. */
  readonly requests: Record<PrometheusFault, number>;
  stop(): Promise<void>;
}

/** Healthy values for the queries built in lib/adapters/prometheus/queries.ts, recognised by shape. */
function healthyValue(query: string): string {
  if (query.startsWith('sum(increase(')) return '1000';
  if (query.includes('=~"2..')) return '99.9';
  if (query.includes('=~"5..')) return '0.1';
  const quantile = /histogram_quantile\(([\d.]+)/.exec(query)?.[1];
  if (quantile === '0.5') return '20';
  if (quantile === '0.9') return '60';
  if (quantile === '0.99') return '120';
  return 'NaN';
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFaultyPrometheus(options: { slowMs: number }): Promise<FaultyPrometheus> {
  let fault: PrometheusFault = 'healthy';
  const requests: Record<PrometheusFault, number> = { healthy: 0, down: 0, slow: 0, garbage: 0, 'wrong-shape': 0 };
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = new URLSearchParams(await readBody(req));
      requests[fault]++;
      const json = (status: number, payload: unknown): void => { res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload)); };
      switch (fault) {
        case 'slow': {
          const timer = setTimeout(() => { timers.delete(timer); json(200, answer(body.get('query') ?? '')); }, options.slowMs);
          timers.add(timer);
          return;
        }
        case 'garbage':
          res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway (nginx)</body></html>');
          return;
        case 'wrong-shape':
          json(200, { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: 'NaN' }] } });
          return;
        default:
          json(200, answer(body.get('query') ?? ''));
      }
    })();
  });
  const answer = (query: string) => ({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, healthyValue(query)] }] } });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async (): Promise<void> => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async set(next) {
      // `down` is a closed port, so the client sees ECONNREFUSED as it would with Prometheus stopped.
      if (next === 'down' && fault !== 'down') await close();
      if (next !== 'down' && fault === 'down') await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      fault = next;
    },
    async stop() {
      if (fault !== 'down') await close();
    },
  };
}
