import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { LocalCluster } from '../../infra/local/kubernetes/launcher.js';

/** What to do with a matching request: answer 409 Conflict or 500, or hold it until the client gives up. */
export type ProxyFault = 409 | 500 | 'stall';

export interface FaultRule {
  /** Counts faults under this name in `faulted` (default: the fault itself, e.g. "409"). */
  name?: string;
  /** Which requests: by method (any if absent) and by a pattern on the path (with query). */
  methods?: string[];
  path: RegExp;
  fault: ProxyFault;
}

export interface FaultProxy {
  /** https://127.0.0.1:<port>, served with the apiserver's own certificate, so the cluster CA trusts it. */
  url: string;
  /** Replaces the active rules; an empty list lets everything through again. */
  setRules(rules: FaultRule[]): void;
  /** Requests answered with a fault so far, by rule name (or fault). */
  readonly faulted: Record<string, number>;
  stop(): Promise<void>;
}

const STATUS_TEXT = { 409: 'Conflict', 500: 'InternalError' } as const;

/**
 * An HTTPS proxy in front of one real local kube-apiserver that injects faults for requests matching
 * switchable rules and forwards everything else unchanged over TLS. Faults are the apiserver's own
 * shapes: a Status object with code 409 (the object was modified) or 500, or no answer at all.
 */
export async function startFaultProxy(cluster: LocalCluster): Promise<FaultProxy> {
  const certDir = join(dirname(cluster.kubeconfigPath), 'certs');
  const target = new URL(cluster.server);
  let rules: FaultRule[] = [];
  const faulted: Record<string, number> = {};
  const stalled = new Set<ServerResponse>();

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const upstream = request({
      host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host },
      ca: cluster.caData,
    }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${err.message}`);
    });
    req.pipe(upstream);
  };

  const server: Server = createServer({ cert: readFileSync(join(certDir, 'apiserver.crt')), key: readFileSync(join(certDir, 'apiserver.key')) }, (req, res) => {
    const rule = rules.find((r) => (!r.methods || r.methods.includes(req.method ?? '')) && r.path.test(req.url ?? ''));
    if (!rule) return forward(req, res);
    const name = rule.name ?? String(rule.fault);
    faulted[name] = (faulted[name] ?? 0) + 1;
    req.resume();
    if (rule.fault === 'stall') {
      // Never answer: the engine's own per-request timeout must end the call.
      stalled.add(res);
      res.on('close', () => stalled.delete(res));
      return;
    }
    const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: rule.fault, reason: STATUS_TEXT[rule.fault],
      message: rule.fault === 409 ? 'Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again' : 'Internal error occurred: injected by the fault proxy' };
    res.writeHead(rule.fault, { 'content-type': 'application/json' }).end(JSON.stringify(status));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    faulted,
    setRules(next) {
      rules = next;
      // A stalled request stays unanswered; the client has long given up on it.
      if (next.length === 0) for (const res of stalled) res.destroy();
    },
    async stop() {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
