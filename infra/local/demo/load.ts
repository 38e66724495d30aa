/**
 * LOCAL DEMO ONLY — steady client traffic for the demo app, so Prometheus has request rates and latencies to
 * analyse. In-process and loopback only: it calls router.route(), which forwards to the version servers on
 * 127.0.0.1. Bounded: timers only, a cap on requests in flight, and nothing left running after stop().
 */
import type { DemoRouter, RouteResult } from './router.js';

export interface LoadOptions {
  router: Pick<DemoRouter, 'route'>;
  /** Requests per second (default 20). */
  rps?: number;
  path?: string;
  /** Beyond this many unanswered requests, new ones are skipped (and counted), never queued. */
  maxInFlight?: number;
}

export interface LoadCounts {
  total: number;
  /** Requests the router sent to each version (503s for a version without Ready pods count under `none`). */
  stable: number;
  canary: number;
  none: number;
  /** HTTP 5xx seen, per version. */
  errors: { stable: number; canary: number; none: number };
  skipped: number;
}

export interface Load {
  counts(): LoadCounts;
  /** Zeroes the counts, e.g. to measure one phase of a rollout. */
  reset(): void;
  stop(): Promise<void>;
}

/** Timer period: small enough for an even spread, large enough to be cheap at the demo's rates. */
const TICK_MS = 50;

const zero = (): LoadCounts => ({ total: 0, stable: 0, canary: 0, none: 0, errors: { stable: 0, canary: 0, none: 0 }, skipped: 0 });

export function startLoad(opts: LoadOptions): Load {
  const rps = opts.rps ?? 20;
  if (!(rps > 0 && rps <= 1000)) throw new Error(`startLoad: rps must be in (0, 1000], got ${rps}`);
  const maxInFlight = opts.maxInFlight ?? 200;
  let counts = zero();
  const inFlight = new Set<Promise<void>>();

  const record = (r: RouteResult) => {
    const key = r.unroutable ? 'none' : r.version;
    counts.total += 1;
    counts[key] += 1;
    if (r.status >= 500) counts.errors[key] += 1;
  };

  const fire = () => {
    if (inFlight.size >= maxInFlight) { counts.skipped += 1; return; }
    const p: Promise<void> = opts.router.route(opts.path).then(record, () => undefined).finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  // Requests due are computed from elapsed time, not counted per tick, so timer drift does not lower the rate.
  const started = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * rps);
    sent = Math.max(sent, due - Math.ceil(rps)); // after a stalled event loop, catch up at most one second
    for (; sent < due; sent++) fire();
  }, TICK_MS);

  let stopping: Promise<void> | undefined;
  return {
    counts: () => structuredClone(counts),
    reset: () => { counts = zero(); },
    stop: () => (stopping ??= (async () => {
      clearInterval(timer);
      await Promise.allSettled([...inFlight]);
    })()),
  };
}
