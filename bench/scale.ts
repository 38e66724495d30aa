/**
 * 1,000 concurrent rollouts of 10 steps over 3 clusters, on DynamoDB Local and local-aws-sqs. The clusters
 * are in-memory fakes whose every call waits like an apiserver round trip (CLUSTER_LATENCY_MS): 1,000
 * Deployments, traffic objects and canaries on 3 local kube-apiservers would make the local control
 * planes, not the engine, the thing measured on a shared 2-core machine, and take far longer than the
 * 5 minutes this benchmark may run. The engine itself runs in a separate "function process"
 * (bench/scale-worker.ts) so its peak memory is its own.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { startDynamoDbLocal } from '../infra/local/aws/dynamodb.js';
import { createResourcesFromServerlessYml } from '../infra/local/aws/resources.js';
import { startSqsLocal } from '../infra/local/aws/sqs.js';
import { round } from './stats.js';
import type { ScaleWorkerConfig, ScaleWorkerResult } from './scale-worker.js';
import { benchTicks } from './tick-throughput.js';

const ROOT = resolve(import.meta.dirname, '..');
export const SCALE_TARGETS = { ratio: 1.25, ticksPerSecond: 200, latenessP99Ms: 1000 } as const;
/** A same-region EKS apiserver answers a small GET or PATCH in a few milliseconds. */
const CLUSTER_LATENCY_MS = 5;

export interface ScaleResult extends ScaleWorkerResult {
  clusters: string;
  /** Floor replay loops kept running beside the ticks' consumers. */
  floorLoops: number;
  ratioP50: number;
  /** Tick latency without the simulated apiserver wait, against the floor: what the engine's own code adds. */
  engineRatioP50: number;
  requestsPerTick: Record<string, number>;
  eventSourceRequestsPerTick: Record<string, number>;
  /** ReceiveMessage calls that returned messages, per tick: what a busy event source mapping makes. */
  nonEmptyReceivesPerTick: number;
  startRequestsPerRollout: Record<string, number>;
}

export async function benchScale(log: (line: string) => void, rollouts = 1000): Promise<ScaleResult> {
  const dynamo = await startDynamoDbLocal();
  const sqs = await startSqsLocal();
  try {
    // DynamoDB Local is a JVM: its first thousands of requests run interpreted. Warm it up first.
    log('[scale] warming DynamoDB Local up (50 rollouts through the tick loop) ...');
    await benchTicks({ dynamodb: dynamo.endpoint, sqs: sqs.endpoint }, { rollouts: 50, floor: false });
    const res = await createResourcesFromServerlessYml({ stage: 'bench', dynamodbEndpoint: dynamo.endpoint, sqsEndpoint: sqs.endpoint, suffix: `-${randomBytes(4).toString('hex')}`, visibilityTimeoutSeconds: 60 });
    const cfg: ScaleWorkerConfig = {
      dynamodbEndpoint: dynamo.endpoint, sqsEndpoint: sqs.endpoint, table: res.tableName, queueUrl: res.tickQueueUrl, floorQueueUrl: res.deadLetterQueueUrl,
      // 1,000 rollouts pausing 4 s between steps offer about 250 ticks/s: above the 200 ticks/s target.
      rollouts, steps: 10, pauseSeconds: 4, clusters: ['c1', 'c2', 'c3'], clusterLatencyMs: CLUSTER_LATENCY_MS,
      consumers: 8, floorConcurrency: 4, deadlineSeconds: 180,
    };
    log(`[scale] ${rollouts} rollouts × ${cfg.steps} steps (pause ${cfg.pauseSeconds} s) over fake clusters ${cfg.clusters.join(', ')} (${CLUSTER_LATENCY_MS} ms per apiserver call), ${cfg.consumers} consumers × batches of 10`);
    const worker = await runWorker(cfg, log);
    const perTick = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).sort().map(([k, v]) => [k, round(v / worker.ticks, 3)]));
    const tickP50 = worker.tickLatencyMs.p50;
    return {
      ...worker,
      floorLoops: cfg.floorConcurrency,
      clusters: `3 fake clusters (${cfg.clusters.join(', ')}), ${CLUSTER_LATENCY_MS} ms per call`,
      ratioP50: round(tickP50 / worker.floorLatencyMs.p50),
      engineRatioP50: round((tickP50 - worker.clusterWaitMs.p50) / worker.floorLatencyMs.p50),
      requestsPerTick: perTick(worker.requests.tick),
      eventSourceRequestsPerTick: perTick(worker.requests.eventSource),
      nonEmptyReceivesPerTick: round(((worker.requests.eventSource['SQS.ReceiveMessage'] ?? 0) - worker.emptyReceives) / worker.ticks, 3),
      startRequestsPerRollout: Object.fromEntries(Object.entries(worker.requests.start).sort().map(([k, v]) => [k, round(v / worker.rollouts, 3)])),
    };
  } finally {
    await sqs.stop();
    await dynamo.stop();
  }
}

function runWorker(cfg: ScaleWorkerConfig, log: (line: string) => void): Promise<ScaleWorkerResult> {
  return new Promise((done, fail) => {
    const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'bench/scale-worker.ts'), JSON.stringify(cfg)], {
      cwd: ROOT, env: { ...process.env, CODEDANCE_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += String(d); });
    child.stderr.on('data', (d) => { for (const line of String(d).split('\n').filter(Boolean)) log(line); });
    child.on('error', fail);
    child.on('exit', (code) => {
      if (code !== 0) return fail(new Error(`scale worker exited ${code}`));
      try { done(JSON.parse(out.trim().split('\n').at(-1) ?? '') as ScaleWorkerResult); } catch (err) { fail(err); }
    });
  });
}

export function printScale(r: ScaleResult, say: (line: string) => void): void {
  const mark = (met: boolean) => (met ? 'met ' : 'MISS');
  say(`  clusters: ${r.clusters}`);
  say(`  ${r.rollouts} rollouts, ${r.completed} completed, ${r.ticks} ticks in ${r.seconds} s; ticks per completed rollout ${r.ticksPerCompletedRollout ?? 'n/a'}`);
  say(`  ${mark(r.ticksPerSecond >= SCALE_TARGETS.ticksPerSecond)} ticks/s ${r.ticksPerSecond} (target ≥ ${SCALE_TARGETS.ticksPerSecond})`);
  say(`  ${mark(r.latenessMs.p99 < SCALE_TARGETS.latenessP99Ms)} lateness p50 ${r.latenessMs.p50} ms, p99 ${r.latenessMs.p99} ms, max ${r.latenessMs.max} ms (target p99 < ${SCALE_TARGETS.latenessP99Ms} ms)`);
  say(`       tick latency p50 ${r.tickLatencyMs.p50} ms, p99 ${r.tickLatencyMs.p99} ms (of which simulated apiserver wait p50 ${r.clusterWaitMs.p50} ms, p99 ${r.clusterWaitMs.p99} ms)`);
  say(`       raw I/O floor p50 ${r.floorLatencyMs.p50} ms, p99 ${r.floorLatencyMs.p99} ms (recent ticks' own requests replayed without the engine — same GetItem, same transaction items, same SendMessage — by ${r.floorLoops} loops beside the ticks, ${r.floorSamples} samples)`);
  say(`  ${mark(r.ratioP50 <= SCALE_TARGETS.ratio)} tick p50 / floor p50 ${r.ratioP50}; without the apiserver wait ${r.engineRatioP50} (target ≤ ${SCALE_TARGETS.ratio})`);
  say(`  AWS requests per tick (the tick function): ${JSON.stringify(r.requestsPerTick)}`);
  say(`  per tick, SQS event source mapping (receive/delete batches of ≤ 10): ${JSON.stringify(r.eventSourceRequestsPerTick)}; receives that returned messages ${r.nonEmptyReceivesPerTick} (the rest are this local poller's 20 ms re-polls of an empty queue)`);
  say(`  per rollout start (HTTP POST /rollouts): ${JSON.stringify(r.startRequestsPerRollout)}`);
  say(`  function process CPU ${r.cpuMsPerTick} ms per tick (≈ ${round(1000 / r.cpuMsPerTick, 0)} ticks/s per core); machine load average ${r.loadAverage} at the end (${cpus().length} cores)`);
  say(`  function process memory: baseline RSS ${r.memory.baselineRssMB} MB, peak RSS ${r.memory.peakRssMB} MB, peak heap used ${r.memory.peakHeapUsedMB} MB (heap total ${r.memory.peakHeapTotalMB} MB)`);
}
