/**
 * Time to rollback on the full local stack (one local Kubernetes cluster, the demo workload behind an
 * Istio VirtualService, Prometheus scraping every 1 s, the engine on serverless-offline): from the moment a
 * faulty canary (examples/demo/myapp-v2-faulty.yaml, 8 % of its responses 5xx) starts receiving traffic —
 * the VirtualService shows a canary weight — to the moment the cluster shows 100 % stable again, split
 * into detection (traffic → the engine's RollbackStarted decision) and action (decision → weight 0 read
 * back from the cluster). Two rows on one stack:
 *   tuned     the demo document as written: analysis every 2 s over a 10 s window, minRequests 10, at
 *             50 rps (the demo's 20 rps plus a second 30 rps load generator)
 *   defaults  the same document without its `analysis` block, so the defaults apply (interval 30 s,
 *             window 1 m, minRequests 20; lib/domain/spec.ts), at the demo's default 20 rps
 * Both set `scaleDownDelay: 5s`: the drain comes after traffic is back on stable, so it changes none of
 * the figures, only how long each run waits for `Failed` before the next one starts.
 */
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { startLoad } from '../infra/local/demo/load.js';
import { startFullStack, type FullStack } from '../infra/local/full-stack.js';
import { api, startRolloutFromYaml, watchRollout } from '../infra/local/rollout-watch.js';
import { recordCanaryWeights } from '../test/support/traffic-recorder.js';
import { percentile, round } from './stats.js';

type Stat = { median: number; max: number };
export interface RollbackRow {
  label: string;
  rps: number;
  runs: number;
  detectionSeconds: Stat;
  actionSeconds: Stat;
  totalSeconds: Stat;
  samples: Array<{ detection: number; action: number; total: number }>;
}
export interface RollbackBenchResult { tuned?: RollbackRow; defaults?: RollbackRow }

const DEMO_RPS = 20;
const TUNED_EXTRA_RPS = 30;
const eventList = z.object({ items: z.array(z.looseObject({ type: z.string(), at: z.string() })) });
const documentSchema = z.looseObject({ spec: z.looseObject({ analysis: z.unknown().optional() }) });

export async function benchTimeToRollback(runs: { tuned: number; defaults: number } = { tuned: 5, defaults: 3 }, log: (line: string) => void = () => undefined): Promise<RollbackBenchResult> {
  const demo = documentSchema.parse(parse(readFileSync('examples/demo/myapp-v2-faulty.yaml', 'utf8')));
  const tunedDoc = stringify({ ...demo, spec: { ...demo.spec, scaleDownDelay: '5s' } });
  const { analysis: _tunedAnalysis, ...defaultSpec } = demo.spec;
  const defaultsDoc = stringify({ ...demo, spec: { ...defaultSpec, scaleDownDelay: '5s' } });
  const stack = await startFullStack({ port: 33000 + Math.floor(Math.random() * 1000), stage: `bench${Date.now() % 100000}`, rps: DEMO_RPS, log: () => undefined, offlineOutput: () => undefined });
  const result: RollbackBenchResult = {};
  try {
    if (runs.tuned > 0) {
      const extra = startLoad({ router: stack.demo.router, rps: TUNED_EXTRA_RPS });
      try {
        result.tuned = await measureRow(stack, 'tuned: 1 s scrape, 2 s interval, 10 s window, minRequests 10, 50 rps', DEMO_RPS + TUNED_EXTRA_RPS, tunedDoc, runs.tuned, 180_000, log);
      } finally {
        await extra.stop();
      }
    }
    if (runs.defaults > 0) {
      result.defaults = await measureRow(stack, 'defaults: 1 s scrape, 30 s interval, 1 m window, minRequests 20, 20 rps', DEMO_RPS, defaultsDoc, runs.defaults, 300_000, log);
    }
  } finally {
    await stack.stop();
  }
  return result;
}

async function measureRow(stack: FullStack, label: string, rps: number, doc: string, runs: number, timeoutMs: number, log: (line: string) => void): Promise<RollbackRow> {
  const target = { url: stack.api.url, token: stack.api.token };
  const samples: RollbackRow['samples'] = [];
  for (let run = 1; run <= runs; run++) {
    let trafficAt = 0;
    let stableAt = 0;
    const recorder = recordCanaryWeights(stack.kubeconfigPath, 'production', 'myapp', 'istio', 25);
    const watch = setInterval(() => {
      const w = recorder.walk;
      if (!trafficAt && w.some((x) => x > 0)) trafficAt = Date.now();
      if (trafficAt && !stableAt && w.at(-1) === 0) stableAt = Date.now();
    }, 10);
    try {
      const started = await startRolloutFromYaml(target, doc);
      const done = await watchRollout(target, started.id, () => undefined, timeoutMs);
      const giveUp = Date.now() + 10_000;
      while (trafficAt && !stableAt && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 20));
      const decided = eventList.parse(await api(target, 'GET', `/rollouts/${started.id}/events`)).items.find((e) => e.type === 'RollbackStarted');
      if (done.phase !== 'Failed' || !decided || !trafficAt || !stableAt) throw new Error(`${label}, run ${run}: expected a rollback with traffic back at 0 %, got ${done.phase} (${done.message})`);
      const detection = (Date.parse(decided.at) - trafficAt) / 1000;
      const action = (stableAt - Date.parse(decided.at)) / 1000;
      samples.push({ detection: round(detection), action: round(action), total: round((stableAt - trafficAt) / 1000) });
      log(`[bench] rollback ${label.split(':')[0]} run ${run}: detection ${round(detection)} s, action ${round(action)} s`);
    } finally {
      clearInterval(watch);
      await recorder.stop();
    }
  }
  const stat = (values: number[]): Stat => ({ median: round(percentile(values, 50)), max: round(Math.max(...values)) });
  return {
    label, rps, runs, samples,
    detectionSeconds: stat(samples.map((s) => s.detection)),
    actionSeconds: stat(samples.map((s) => s.action)),
    totalSeconds: stat(samples.map((s) => s.total)),
  };
}

export function printTimeToRollback(r: RollbackBenchResult, say: (line: string) => void): void {
  for (const row of [r.tuned, r.defaults]) {
    if (!row) continue;
    say(`  ${row.label} (${row.runs} runs)`);
    say(`    detection median ${row.detectionSeconds.median} s, max ${row.detectionSeconds.max} s`);
    say(`    action    median ${row.actionSeconds.median} s, max ${row.actionSeconds.max} s`);
    say(`    total     median ${row.totalSeconds.median} s, max ${row.totalSeconds.max} s${row === r.tuned ? ' (target ≤ 10 s)' : ''}`);
  }
}
