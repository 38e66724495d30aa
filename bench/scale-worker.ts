/**
 * The "function process" of the scale benchmark, run by bench/scale.ts in its own Node process so its
 * memory is the engine's alone (DynamoDB Local is a JVM, local-aws-sqs lives in the parent). It starts
 * the rollouts, then plays Lambda's SQS event source mapping: consumers receive batches of 10, run the
 * tick handler's work (processBatch → reconcileRollout, as functions/queue/tick.ts does) and delete what
 * succeeded. Every AWS request is counted by an SDK middleware, per path (start, tick, event source
 * mapping, floor), service and operation. Prints one JSON line (ScaleWorkerResult) on stdout.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { localDynamoDb, localSqs } from '../infra/local/aws/clients.js';
import { DynamoRolloutStore } from '../lib/adapters/dynamodb/rollout-store.js';
import { SqsTickQueue } from '../lib/adapters/sqs/tick-queue.js';
import { StaticClusterRegistry } from '../lib/adapters/static-cluster-registry.js';
import type { Dependencies } from '../lib/app/dependencies.js';
import { reconcileRollout } from '../lib/app/reconcile-rollout.js';
import { startRollout } from '../lib/app/start-rollout.js';
import { systemClock } from '../lib/ports/clock.js';
import type { ClusterPort } from '../lib/ports/cluster.js';
import { parseTickMessage, processBatch } from '../lib/queue/sqs-batch.js';
import { FakeCluster } from '../test/support/fake-cluster.js';
import { FakeMetrics } from '../test/support/fake-metrics.js';
import { documentWith } from '../test/support/fixtures.js';
import { mapLimit, percentile, round } from './stats.js';
import { addIoRecorder, recordIo, replayTickIo, type IoCall } from './io-floor.js';

export const scaleWorkerConfig = z.object({
  dynamodbEndpoint: z.url(), sqsEndpoint: z.url(), table: z.string().min(1), queueUrl: z.url(),
  /** Where the floor's SendMessage goes: a queue on the same server that no consumer reads. */
  floorQueueUrl: z.url(),
  rollouts: z.number().int().positive(), steps: z.number().int().positive(), pauseSeconds: z.number().nonnegative(),
  clusters: z.array(z.string().min(1)).min(1), clusterLatencyMs: z.number().nonnegative(),
  /** Floor sequences kept in flight beside the ticks, so both see the same load on the emulators. */
  consumers: z.number().int().positive(), floorConcurrency: z.number().int().positive(), deadlineSeconds: z.number().positive(),
});
export type ScaleWorkerConfig = z.infer<typeof scaleWorkerConfig>;

type Counts = Record<string, number>;
export interface ScaleWorkerResult {
  rollouts: number; completed: number; ticks: number; seconds: number; ticksPerSecond: number;
  latenessMs: { p50: number; p99: number; max: number };
  tickLatencyMs: { p50: number; p99: number };
  clusterWaitMs: { p50: number; p99: number };
  floorLatencyMs: { p50: number; p99: number };
  requests: { start: Counts; tick: Counts; eventSource: Counts; floor: Counts };
  emptyReceives: number;
  /** Ticks a rollout of `steps` steps took from start to Completed; null when none completed in time. */
  ticksPerCompletedRollout: number | null;
  floorSamples: number;
  memory: { baselineRssMB: number; peakRssMB: number; peakHeapUsedMB: number; peakHeapTotalMB: number };
  /** CPU time of this process (engine, SDK, the poller) per tick: what one core could sustain, whatever the emulators do. */
  cpuMsPerTick: number;
  /** The machine's 1-minute load average at the end: the emulators and this process share its cores with everything else. */
  loadAverage: number;
}

/**
 * A middleware counting every request a client sends, by `Service.Operation`, into `counts`, and the
 * DynamoDB capacity it consumes on demand (`DynamoDB.WRU`, `DynamoDB.RRU`, from the item sizes).
 */
const countInto = (counts: Counts) => <A, R>(next: (args: A) => Promise<R>, context: { clientName?: string; commandName?: string }) => async (args: A): Promise<R> => {
  const key = `${String(context.clientName).replace(/Client$/, '')}.${String(context.commandName).replace(/Command$/, '')}`;
  counts[key] = (counts[key] ?? 0) + 1;
  const add = (unit: string, n: number) => { counts[unit] = (counts[unit] ?? 0) + n; };
  const transaction = transactInput.safeParse(args);
  // A transactional write costs 2 WRU per KB of each item; a strongly consistent read 1 RRU per 4 KB.
  if (key === 'DynamoDB.TransactWriteItems' && transaction.success) {
    for (const t of transaction.data.input.TransactItems) add('DynamoDB.WRU', 2 * Math.max(1, Math.ceil(itemBytes(t.Put?.Item ?? t.Delete?.Key ?? {}) / 1024)));
  }
  const out = await next(args);
  const read = getOutput.safeParse(out);
  if (key === 'DynamoDB.GetItem' && read.success) add('DynamoDB.RRU', Math.max(1, Math.ceil(itemBytes(read.data.output.Item ?? {}) / 4096)));
  return out;
};
const attributeMap = z.record(z.string(), z.unknown());
const transactInput = z.object({ input: z.object({ TransactItems: z.array(z.object({ Put: z.object({ Item: attributeMap }).optional(), Delete: z.object({ Key: attributeMap }).optional() })) }) });
const getOutput = z.object({ output: z.object({ Item: attributeMap.optional() }) });

/** DynamoDB's item size: attribute names plus values (strings and numbers by their length, maps and lists nested). */
function itemBytes(item: Record<string, unknown>): number {
  const valueBytes = (v: unknown): number => {
    if (typeof v !== 'object' || v === null) return 0;
    const [type, inner] = Object.entries(v)[0] ?? ['', undefined];
    if (type === 'S' || type === 'N') return Buffer.byteLength(String(inner));
    if (type === 'M' && typeof inner === 'object' && inner !== null) return 3 + itemBytes(Object.fromEntries(Object.entries(inner)));
    if (type === 'L' && Array.isArray(inner)) return 3 + inner.reduce((n: number, x) => n + 1 + valueBytes(x), 0);
    return 1;
  };
  return Object.entries(item).reduce((n, [name, v]) => n + Buffer.byteLength(name) + valueBytes(v), 0);
}
const COUNTER = { step: 'initialize', name: 'codedanceRequestCounter' } as const;

function countedDynamo(endpoint: string, counts: Counts): DynamoDBClient {
  const client = localDynamoDb(endpoint);
  client.middlewareStack.add(countInto(counts), COUNTER);
  return client;
}

function countedSqs(endpoint: string, counts: Counts): SQSClient {
  const client = localSqs(endpoint);
  client.middlewareStack.add(countInto(counts), COUNTER);
  return client;
}

/** A fake cluster whose every call waits like an apiserver round trip; the wait is recorded per tick. */
function slowCluster(inner: ClusterPort, latencyMs: number, waited: (ms: number) => void): ClusterPort {
  const slow = <A extends unknown[], R>(call: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, latencyMs));
    try { return await call(...args); } finally { waited(performance.now() - t0); }
  };
  return {
    observe: slow((r) => inner.observe(r)), ensureCanary: slow((r, n) => inner.ensureCanary(r, n)),
    setCanaryWeight: slow((r, w) => inner.setCanaryWeight(r, w)), setStableImage: slow((r, image) => inner.setStableImage(r, image)),
    deleteCanary: slow((r) => inner.deleteCanary(r)),
  };
}

export async function runScaleWorker(cfg: ScaleWorkerConfig, log: (line: string) => void): Promise<ScaleWorkerResult> {
  const requests = { start: {} as Counts, tick: {} as Counts, eventSource: {} as Counts, floor: {} as Counts };
  const clientsFor = (counts: Counts) => ({ dynamo: countedDynamo(cfg.dynamodbEndpoint, counts), sqs: countedSqs(cfg.sqsEndpoint, counts) });
  const startClients = clientsFor(requests.start);
  const tickClients = clientsFor(requests.tick);
  // The floor replays the requests recent ticks made (bench/io-floor.ts): same items, same order.
  addIoRecorder(tickClients.dynamo, 'DynamoDB');
  addIoRecorder(tickClients.sqs, 'SQS');
  const recentIo: IoCall[][] = [];
  let recordedTicks = 0;
  const pollSqs = countedSqs(cfg.sqsEndpoint, requests.eventSource);
  const floorClients = clientsFor(requests.floor);

  // Ticks of one batch run concurrently: each tick's cluster wait is summed in its own async context.
  const waitOfTick = new AsyncLocalStorage<{ ms: number }>();
  const clusters = new StaticClusterRegistry(new Map(cfg.clusters.map((name) => {
    const fake = new FakeCluster();
    return [name, slowCluster(fake, cfg.clusterLatencyMs, (ms) => { const w = waitOfTick.getStore(); if (w) w.ms += ms; })] as const;
  })));
  const base = {
    clusters, metrics: new FakeMetrics(), notifier: { notify: async () => undefined }, clock: systemClock,
    newId: () => `ro_${randomBytes(8).toString('hex')}`,
  };
  const depsOf = (c: { dynamo: DynamoDBClient; sqs: SQSClient }): Dependencies => {
    const store = new DynamoRolloutStore(c.dynamo, cfg.table);
    return { ...base, store, audit: store, queue: new SqsTickQueue(c.sqs, { url: cfg.queueUrl }) };
  };
  const startDeps = depsOf(startClients);
  const tickDeps = depsOf(tickClients);

  const baselineRss = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  const peak = { rss: baselineRss, heapUsed: 0, heapTotal: 0 };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss); peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed); peak.heapTotal = Math.max(peak.heapTotal, m.heapTotal);
  }, 50);

  const lateness: number[] = [];
  const ticksOf = new Map<string, number>();
  const latencies: number[] = [];
  const clusterWaits: number[] = [];
  const ids: string[] = [];
  let finished = 0;
  // Lambda's event source mapping long-polls (20 s) where this loop re-polls an empty queue every 20 ms.
  let emptyReceives = 0;
  let startsDone = false;
  const began = performance.now();
  const deadline = began + cfg.deadlineSeconds * 1000;

  const tick = async (record: SQSRecord): Promise<void> => {
    const message = parseTickMessage(record);
    ticksOf.set(message.rolloutId, (ticksOf.get(message.rolloutId) ?? 0) + 1);
    lateness.push(Date.now() - Date.parse(message.wakeAt));
    const wait = { ms: 0 };
    const t0 = performance.now();
    const calls: IoCall[] = [];
    const outcome = await waitOfTick.run(wait, () => recordIo(calls, () => reconcileRollout(tickDeps, message)));
    latencies.push(performance.now() - t0);
    recentIo[recordedTicks++ % 256] = calls;
    clusterWaits.push(wait.ms);
    if (outcome.kind === 'decided' && (outcome.phase === 'Completed' || outcome.phase === 'Failed')) finished++;
  };

  // The event source mapping: receive up to 10, hand the batch to the handler's work, delete what succeeded.
  const consume = async (): Promise<void> => {
    while ((!startsDone || finished < ids.length) && performance.now() < deadline) {
      const { Messages = [] } = await pollSqs.send(new ReceiveMessageCommand({ QueueUrl: cfg.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, AttributeNames: ['All'] }));
      if (Messages.length === 0) { emptyReceives++; await new Promise((r) => setTimeout(r, 20)); continue; }
      const records = Messages.map((m): SQSRecord => ({
        messageId: m.MessageId ?? '', receiptHandle: m.ReceiptHandle ?? '', body: m.Body ?? '', md5OfBody: m.MD5OfBody ?? '',
        attributes: { ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1', SentTimestamp: m.Attributes?.SentTimestamp ?? '0', SenderId: 'bench', ApproximateFirstReceiveTimestamp: '0' },
        messageAttributes: {}, eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:eu-west-1:000000000000:bench', awsRegion: 'eu-west-1',
      }));
      const { batchItemFailures } = await processBatch({ Records: records }, tick);
      const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
      const done = records.filter((r) => !failed.has(r.messageId));
      if (done.length > 0) await pollSqs.send(new DeleteMessageBatchCommand({ QueueUrl: cfg.queueUrl, Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })) }));
    }
  };

  const steps = Array.from({ length: cfg.steps }, (_, i) => ({ weight: Math.round(((i + 1) * 100) / cfg.steps), pause: `${cfg.pauseSeconds}s` }));
  const floor: number[] = [];
  const floorProbe = async (loop: number): Promise<void> => {
    for (let i = 0; (!startsDone || finished < ids.length) && performance.now() < deadline; i++) {
      const calls = recentIo.length === 0 ? undefined : recentIo[(loop * 7919 + i * 104_729) % recentIo.length];
      if (!calls) { await new Promise((r) => setTimeout(r, 50)); continue; }
      floor.push(await replayTickIo(floorClients, calls, cfg.floorQueueUrl, `${loop}-${i}`));
    }
  };
  const consumers = [...Array.from({ length: cfg.consumers }, consume), ...Array.from({ length: cfg.floorConcurrency }, (_, i) => floorProbe(i))];
  const progress = setInterval(() => log(`[scale] ${ids.length} started, ${latencies.length} ticks, ${finished} finished, rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`), 10_000);
  await mapLimit(Array.from({ length: cfg.rollouts }, (_, i) => i), 32, async (i) => {
    const doc = documentWith({ cluster: cfg.clusters[i % cfg.clusters.length], targetDeployment: `svc-${i}`, strategy: { type: 'Linear', steps } }, { name: `svc-${i}` });
    ids.push((await startRollout(startDeps, { document: doc, actor: { id: 'bench', via: 'api' } })).id);
  });
  startsDone = true;
  await Promise.all(consumers);
  const seconds = (performance.now() - began) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(progress);
  clearInterval(sampler);

  log(`[scale] ${latencies.length} ticks and ${floor.length} floor samples in ${round(seconds, 1)} s`);
  const completedIds = (await mapLimit(ids, 32, (id) => startDeps.store.get(id))).flatMap((s) => (s?.phase === 'Completed' ? [s.id] : []));
  const completed = completedIds.length;
  const ticksPerCompletedRollout = completed === 0 ? null : round(completedIds.reduce((n, id) => n + (ticksOf.get(id) ?? 0), 0) / completed, 2);
  const mb = (n: number): number => round(n / 2 ** 20, 1);
  return {
    rollouts: ids.length, completed, ticks: latencies.length, seconds: round(seconds, 1), ticksPerSecond: round(latencies.length / seconds, 1),
    latenessMs: { p50: round(percentile(lateness, 50)), p99: round(percentile(lateness, 99)), max: round(Math.max(...lateness)) },
    tickLatencyMs: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)) },
    clusterWaitMs: { p50: round(percentile(clusterWaits, 50)), p99: round(percentile(clusterWaits, 99)) },
    floorLatencyMs: { p50: round(percentile(floor, 50)), p99: round(percentile(floor, 99)) },
    requests, emptyReceives, floorSamples: floor.length, ticksPerCompletedRollout,
    cpuMsPerTick: round((cpu.user + cpu.system) / 1000 / Math.max(1, latencies.length)), loadAverage: round(loadavg()[0] ?? 0, 1),
    memory: { baselineRssMB: mb(baselineRss), peakRssMB: mb(peak.rss), peakHeapUsedMB: mb(peak.heapUsed), peakHeapTotalMB: mb(peak.heapTotal) },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cfg = scaleWorkerConfig.parse(JSON.parse(process.argv[2] ?? '{}'));
  const result = await runScaleWorker(cfg, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
