/**
 * Time to rollback on the full local stack: from the moment a faulty canary starts receiving traffic
 * (the VirtualService shows a canary weight) to the moment the cluster shows 100 % stable again,
 * split into detection (traffic → the engine's RollbackStarted decision) and action (decision →
 * weight 0 in the cluster). Scrape 1 s, analysis interval 2 s.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { startFullStack } from '../infra/local/full-stack.js';
import { api, startRolloutFromYaml, watchRollout } from '../infra/local/rollout-watch.js';
import { recordCanaryWeights } from '../test/support/traffic-recorder.js';
import { percentile, round } from './stats.js';

export interface RollbackBenchResult {
  runs: number;
  detectionSeconds: { median: number; max: number };
  actionSeconds: { median: number; max: number };
  totalSeconds: { median: number; max: number };
  samples: Array<{ detection: number; action: number; total: number }>;
}

const eventList = z.object({ items: z.array(z.looseObject({ type: z.string(), at: z.string() })) });
const eventsSchema = (raw: unknown) => eventList.parse(raw).items;

export async function benchTimeToRollback(runs = 5, log: (line: string) => void = () => undefined): Promise<RollbackBenchResult> {
  const stack = await startFullStack({ port: 33000 + Math.floor(Math.random() * 1000), stage: `bench${Date.now() % 100000}`, rps: 50, log: () => undefined, offlineOutput: () => undefined });
  const target = { url: stack.api.url, token: stack.api.token };
  const doc = readFileSync('examples/demo/myapp-v2-faulty.yaml', 'utf8');
  const samples: RollbackBenchResult['samples'] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      let trafficAt = 0;
      let stableAt = 0;
      const recorder = recordCanaryWeights(stack.kubeconfigPath, 'production', 'myapp', 'istio', 25);
      const watch = setInterval(() => {
        const w = recorder.walk;
        if (!trafficAt && w.some((x) => x > 0)) trafficAt = Date.now();
        if (trafficAt && !stableAt && w.at(-1) === 0) stableAt = Date.now();
      }, 10);
      const started = await startRolloutFromYaml(target, doc);
      const done = await watchRollout(target, started.id, () => undefined, 180_000);
      while (trafficAt && !stableAt) await new Promise((r) => setTimeout(r, 20));
      clearInterval(watch);
      await recorder.stop();
      const decided = eventsSchema(await api(target, 'GET', `/rollouts/${started.id}/events`)).find((e) => e.type === 'RollbackStarted');
      if (done.phase !== 'Failed' || !decided || !trafficAt) throw new Error(`run ${run}: expected a rollback, got ${done.phase}`);
      const detection = (Date.parse(decided.at) - trafficAt) / 1000;
      const action = (stableAt - Date.parse(decided.at)) / 1000;
      samples.push({ detection: round(detection), action: round(action), total: round((stableAt - trafficAt) / 1000) });
      log(`[bench] rollback run ${run}: detection ${round(detection)} s, action ${round(action)} s`);
    }
  } finally {
    await stack.stop();
  }
  const stat = (values: number[]) => ({ median: round(percentile(values, 50)), max: round(Math.max(...values)) });
  return {
    runs, samples,
    detectionSeconds: stat(samples.map((s) => s.detection)),
    actionSeconds: stat(samples.map((s) => s.action)),
    totalSeconds: stat(samples.map((s) => s.total)),
  };
}
