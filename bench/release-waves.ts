/**
 * A release of 50 services over 3 clusters on DynamoDB Local and local-aws-sqs (fake clusters and
 * metrics, short steps): wall time against the critical path — the sum over waves of one rollout's
 * duration × ⌈services per cluster ÷ maxParallel⌉ — plus peak concurrent rollouts and tick lateness.
 */
import { randomBytes } from 'node:crypto';
import type { Context, SQSEvent } from 'aws-lambda';
import { localDynamoDb, localSqs } from '../infra/local/aws/clients.js';
import { createResourcesFromServerlessYml } from '../infra/local/aws/resources.js';
import { DynamoReleaseStore } from '../lib/adapters/dynamodb/release-store.js';
import { DynamoRolloutStore } from '../lib/adapters/dynamodb/rollout-store.js';
import { SqsTickQueue } from '../lib/adapters/sqs/tick-queue.js';
import { StaticClusterRegistry } from '../lib/adapters/static-cluster-registry.js';
import { advanceActiveReleases } from '../lib/app/advance-release.js';
import type { Dependencies } from '../lib/app/dependencies.js';
import { startRelease } from '../lib/app/release-use-cases.js';
import { tickMessageSchema } from '../lib/queue/sqs-batch.js';
import { systemClock } from '../lib/ports/clock.js';
import { FakeCluster } from '../test/support/fake-cluster.js';
import { FakeMetrics } from '../test/support/fake-metrics.js';
import { makeTickHandler } from '../functions/queue/tick.js';
import { consumeQueue, newEventSourceStats } from './event-source.js';
import { percentile, round } from './stats.js';

export interface ReleaseBenchResult {
  services: number;
  clusters: number;
  rollouts: number;
  phase: string;
  wallSeconds: number;
  rolloutSeconds: { median: number; p90: number };
  criticalPathSeconds: number;
  ratio: number;
  peakConcurrentRollouts: number;
  tickLatenessMs: { p50: number; p99: number };
  /** Tick records the handler reported failed (or whose batch failed): left on the queue, redelivered after the visibility timeout. */
  failedTicks: number;
  /** Tick records deleted after the handler succeeded on them. */
  deletedTicks: number;
}

const CLUSTERS = ['c1', 'c2', 'c3'];
const WAVES = [{ name: 'canary-cluster', clusters: ['c1'], maxParallel: 10 }, { name: 'rest', clusters: ['c2', 'c3'], maxParallel: 10 }];

export async function benchReleaseWaves(endpoints: { dynamodb: string; sqs: string }, services = 50, consumers = 8, log: (line: string) => void = () => undefined): Promise<ReleaseBenchResult> {
  const res = await createResourcesFromServerlessYml({ stage: 'bench', dynamodbEndpoint: endpoints.dynamodb, sqsEndpoint: endpoints.sqs, suffix: `-${randomBytes(4).toString('hex')}`, visibilityTimeoutSeconds: 30 });
  const dynamo = localDynamoDb(endpoints.dynamodb);
  const sqs = localSqs(endpoints.sqs);
  const store = new DynamoRolloutStore(dynamo, res.tableName);
  const deps: Dependencies = {
    store, audit: store, releases: new DynamoReleaseStore(dynamo, res.tableName),
    queue: new SqsTickQueue(sqs, { url: res.tickQueueUrl }),
    clusters: new StaticClusterRegistry(new Map(CLUSTERS.map((c) => [c, new FakeCluster()]))),
    metrics: new FakeMetrics(), notifier: { notify: async () => undefined }, clock: systemClock,
    newId: () => `ro_${randomBytes(8).toString('hex')}`,
  };
  const document = {
    apiVersion: 'deploy.codedance.io/v1alpha1', kind: 'Release', metadata: { name: 'bench-sdk' },
    spec: {
      // scaleDownDelay 0 s: the 30 s default drain before the canary is deleted would only lengthen every rollout.
      templates: { short: { strategy: { type: 'Linear', steps: [{ weight: 20, pause: '2s' }, { weight: 100, pause: '0s' }] }, analysis: { interval: '1s', window: '1s' }, scaleDownDelay: '0s' } },
      services: Array.from({ length: services }, (_, i) => ({ targetDeployment: `svc-${i}`, namespace: 'bench', image: `svc-${i}:2.0`, template: 'short' })),
      waves: WAVES,
    },
  };

  const lateness: number[] = [];
  let finished = false;
  // The deployed tick handler (functions/queue/tick.ts) on this process's dependencies, fed by the event
  // source mapping's rule: only the records it did not report as failed are deleted (bench/event-source.ts).
  const tickHandler = makeTickHandler(() => deps);
  const context = { awsRequestId: 'bench', functionName: 'tick', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
  const handler = async (event: SQSEvent) => {
    for (const record of event.Records) {
      let body: unknown;
      try { body = JSON.parse(record.body); } catch { continue; } // a poison body: the handler reports it failed
      const message = tickMessageSchema.safeParse(body);
      if (message.success) lateness.push(Math.max(0, Date.now() - Date.parse(message.data.wakeAt)));
    }
    return tickHandler(event, context);
  };
  const stats = newEventSourceStats();
  const consume = (): Promise<void> => consumeQueue({
    sqs, queueUrl: res.tickQueueUrl, handler, running: () => !finished, stats,
    onBatchError: (error) => log(`[bench] a tick batch failed, its messages stay for redelivery: ${error instanceof Error ? error.message : String(error)}`),
  });
  const consumersDone = Promise.all(Array.from({ length: consumers }, consume));
  // The minute schedule stays as a backstop; completions nudge their release at once.
  const scheduler = setInterval(() => { void advanceActiveReleases(deps).catch(() => undefined); }, 60_000);

  const started = Date.now();
  const release = await startRelease(deps, { id: `rel_bench${randomBytes(4).toString('hex')}`, document, actor: { id: 'bench', via: 'api' } });
  let final = release;
  for (;;) {
    final = (await deps.releases!.get(release.id))!;
    if (['Completed', 'Failed', 'Cancelled'].includes(final.phase)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const wallSeconds = (Date.now() - started) / 1000;
  finished = true;
  clearInterval(scheduler);
  await consumersDone;

  const rollouts = await Promise.all(final.items.map((i) => store.get(i.rolloutId)));
  const spans = rollouts.flatMap((r) => (r ? [{ from: Date.parse(r.createdAt), to: Date.parse(r.updatedAt) }] : []));
  const durations = spans.map((s) => (s.to - s.from) / 1000);
  const oneRollout = percentile(durations, 50);
  const criticalPath = WAVES.reduce((sum, w) => sum + oneRollout * Math.ceil(services / w.maxParallel), 0);
  log(`[bench] release: ${final.phase} after ${round(wallSeconds)} s; one rollout ${round(oneRollout)} s (median)`);
  return {
    services, clusters: CLUSTERS.length, rollouts: spans.length, phase: final.phase,
    wallSeconds: round(wallSeconds),
    rolloutSeconds: { median: round(oneRollout), p90: round(percentile(durations, 90)) },
    criticalPathSeconds: round(criticalPath),
    ratio: round(wallSeconds / criticalPath),
    peakConcurrentRollouts: peakOverlap(spans),
    tickLatenessMs: { p50: round(percentile(lateness, 50)), p99: round(percentile(lateness, 99)) },
    failedTicks: stats.failedRecords, deletedTicks: stats.deletedRecords,
  };
}

function peakOverlap(spans: Array<{ from: number; to: number }>): number {
  const edges = spans.flatMap((s) => [{ at: s.from, delta: 1 }, { at: s.to, delta: -1 }]).sort((a, b) => a.at - b.at || a.delta - b.delta);
  let now = 0;
  let peak = 0;
  for (const e of edges) { now += e.delta; peak = Math.max(peak, now); }
  return peak;
}

export function printReleaseWaves(r: ReleaseBenchResult, say: (line: string) => void): void {
  say(`  release of ${r.services} services × ${r.clusters} clusters (${r.rollouts} rollouts): ${r.phase}`);
  say(`  wall time ${r.wallSeconds} s against a critical path of ${r.criticalPathSeconds} s (one rollout ${r.rolloutSeconds.median} s median, p90 ${r.rolloutSeconds.p90} s): ratio ${r.ratio} — target ≤ 1.2 ${r.ratio <= 1.2 ? 'met' : 'MISSED'}`);
  say(`  peak concurrent rollouts ${r.peakConcurrentRollouts} (at most ${WAVES[1]!.maxParallel * WAVES[1]!.clusters.length} allowed)`);
  say(`  tick records deleted after success ${r.deletedTicks}; reported failed and left on the queue for redelivery (30 s visibility timeout) ${r.failedTicks}`);
  say(`  tick lateness p50 ${r.tickLatenessMs.p50} ms, p99 ${r.tickLatenessMs.p99} ms — target p99 < 1000 ms ${r.tickLatenessMs.p99 < 1000 ? 'met' : 'MISSED'}`);
}
