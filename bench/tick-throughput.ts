/**
 * Tick throughput and latency on DynamoDB Local and local-aws-sqs with fake cluster and metrics, against
 * the raw I/O floor: the very requests the ticks made (bench/io-floor.ts), replayed without the engine.
 *
 * Three measurements, because a floor measured on idle emulators flatters the engine's ratio:
 *   1. ticks alone: `rollouts` rollouts of 6 steps without pauses (scaleDownDelay 0 s, so the drain before
 *      the canary is deleted does not idle the run), `consumers` event-source loops × batches of 10.
 *      Gives ticks/s, tick latency, and the mean number of ticks in flight.
 *   2. floor alone, after the ticks: every tick of run 1 replayed once, with as many replays in flight as
 *      run 1 had ticks in flight on average. Nothing else runs.
 *   3. ticks and floor together: a second set of rollouts, and beside every tick one replay of a recent
 *      tick's requests started at the same moment, on the same SDK clients (same sockets), so the floor
 *      runs at the ticks' concurrency under the same load. Its ratio is the headline.
 */
import { randomBytes } from 'node:crypto';
import { localDynamoDb, localSqs } from '../infra/local/aws/clients.js';
import { createResourcesFromServerlessYml } from '../infra/local/aws/resources.js';
import { DynamoRolloutStore } from '../lib/adapters/dynamodb/rollout-store.js';
import { SqsTickQueue } from '../lib/adapters/sqs/tick-queue.js';
import { reconcileOrDefer } from '../lib/app/defer-tick.js';
import { startRollout } from '../lib/app/start-rollout.js';
import type { Dependencies } from '../lib/app/dependencies.js';
import { parseTickMessage, processBatch } from '../lib/queue/sqs-batch.js';
import { systemClock } from '../lib/ports/clock.js';
import { FakeCluster, fakeRegistry } from '../test/support/fake-cluster.js';
import { FakeMetrics } from '../test/support/fake-metrics.js';
import { documentWith } from '../test/support/fixtures.js';
import { consumeQueue, newEventSourceStats } from './event-source.js';
import { addIoRecorder, describeIo, recordIo, replayTickIo, type IoCall } from './io-floor.js';
import { mapLimit, percentile, round } from './stats.js';

type Latency = { p50: number; p99: number };

export interface TickBenchResult {
  rollouts: number;
  consumers: number;
  /** Run 1, ticks alone. */
  ticks: number;
  ticksPerSecond: number;
  tickLatencyMs: Latency;
  meanTicksInFlight: number;
  completed: number;
  /** Tick records reported failed or in a failed batch; left on the queue for redelivery. */
  failedTicks: number;
  /** What one tick sent on average (recorded in run 1), which is what the floor replays. */
  io: ReturnType<typeof describeIo>;
  /** Run 2: run 1's ticks replayed after it, alone, `concurrency` in flight. */
  floorAlone: { latencyMs: Latency; concurrency: number; samples: number };
  /** Run 1's tick p50 over run 2's floor p50: emulators loaded by the ticks against emulators left to the floor. */
  ratioP50Alone: number;
  /** Run 3: ticks with one floor replay beside each. */
  beside: { ticks: number; ticksPerSecond: number; tickLatencyMs: Latency; floorLatencyMs: Latency; samples: number; meanTicksInFlight: number };
  /** Run 3's tick p50 over its floor p50: both under the same load, at the same concurrency. */
  ratioP50: number;
}

export interface TickBenchOptions {
  rollouts?: number;
  consumers?: number;
  /** false: run 1 only (a warm-up); the floor fields are then NaN. */
  floor?: boolean;
  /** Gives up on rollouts not finished after this long (a failed tick waits 30 s for redelivery). */
  deadlineSeconds?: number;
}

export async function benchTicks(endpoints: { dynamodb: string; sqs: string }, options: TickBenchOptions = {}): Promise<TickBenchResult> {
  const { rollouts = 200, consumers = 8, floor = true, deadlineSeconds = 300 } = options;
  const res = await createResourcesFromServerlessYml({ stage: 'bench', dynamodbEndpoint: endpoints.dynamodb, sqsEndpoint: endpoints.sqs, suffix: `-${randomBytes(4).toString('hex')}`, visibilityTimeoutSeconds: 30 });
  const clients = { dynamo: localDynamoDb(endpoints.dynamodb), sqs: localSqs(endpoints.sqs) };
  addIoRecorder(clients.dynamo, 'DynamoDB');
  addIoRecorder(clients.sqs, 'SQS');
  const store = new DynamoRolloutStore(clients.dynamo, res.tableName);
  const cluster = new FakeCluster();
  const deps: Dependencies = {
    store, audit: store, queue: new SqsTickQueue(clients.sqs, { url: res.tickQueueUrl }), clusters: fakeRegistry(cluster),
    metrics: new FakeMetrics(), notifier: { notify: async () => undefined }, clock: systemClock,
    newId: () => `ro_${randomBytes(8).toString('hex')}`,
  };
  // Every step has no pause and the drain is 0 s, so each rollout makes one decision per tick as fast as ticks come.
  const steps = [5, 10, 25, 50, 75, 100].map((weight) => ({ weight, pause: '0s' }));
  const start = (prefix: string) => mapLimit(Array.from({ length: rollouts }, (_, i) => i), 16, async (i) => {
    const doc = documentWith({ targetDeployment: `${prefix}-${i}`, scaleDownDelay: '0s', strategy: { type: 'Linear', steps } }, { name: `${prefix}-${i}` });
    const state = await startRollout(deps, { document: doc, actor: { id: 'bench', via: 'api' } });
    await cluster.ensureCanary({ id: state.id, spec: state.spec }, 2);
    return state.id;
  });

  /** One run of the tick loop over `ids`; with `besideTick`, a floor sample is started beside every tick. */
  const runTicks = async (ids: string[], besideTick?: () => Promise<number>) => {
    const latencies: number[] = [];
    const floorLatencies: number[] = [];
    const recorded: IoCall[][] = [];
    const stats = newEventSourceStats();
    let done = 0;
    let inFlight = 0;
    let inFlightArea = 0;
    let lastChange = performance.now();
    const inFlightBy = (delta: number) => { const now = performance.now(); inFlightArea += inFlight * (now - lastChange); lastChange = now; inFlight += delta; };
    const began = performance.now();
    const deadline = began + deadlineSeconds * 1000;
    const work = async (record: Parameters<Parameters<typeof processBatch>[1]>[0]): Promise<void> => {
      const message = parseTickMessage(record);
      const calls: IoCall[] = [];
      inFlightBy(1);
      const floorSample = besideTick?.();
      const t0 = performance.now();
      try {
        const outcome = await recordIo(calls, () => reconcileOrDefer(deps, message, Number(record.attributes.ApproximateReceiveCount) || 1));
        latencies.push(performance.now() - t0);
        recorded.push(calls);
        if (outcome.kind === 'decided' && (outcome.phase === 'Completed' || outcome.phase === 'Failed')) done++;
      } finally {
        inFlightBy(-1);
        if (floorSample) floorLatencies.push(await floorSample);
      }
    };
    const running = () => done < ids.length && performance.now() < deadline;
    await Promise.all(Array.from({ length: consumers }, () => consumeQueue({ sqs: clients.sqs, queueUrl: res.tickQueueUrl, handler: (event) => processBatch(event, work), running, stats })));
    const elapsed = performance.now() - began;
    inFlightBy(0);
    return { latencies, floorLatencies, recorded, stats, seconds: elapsed / 1000, meanInFlight: inFlightArea / elapsed };
  };

  const ids = await start(`svc-${randomBytes(2).toString('hex')}`);
  const alone = await runTicks(ids);
  const completed = (await mapLimit(ids, 16, (id) => store.get(id))).filter((s) => s?.phase === 'Completed').length;
  const tickP50 = percentile(alone.latencies, 50);
  const result: TickBenchResult = {
    rollouts, consumers, ticks: alone.latencies.length, ticksPerSecond: round(alone.latencies.length / alone.seconds, 1),
    tickLatencyMs: latency(alone.latencies), meanTicksInFlight: round(alone.meanInFlight, 1), completed,
    failedTicks: alone.stats.failedRecords, io: describeIo(alone.recorded),
    floorAlone: { latencyMs: { p50: Number.NaN, p99: Number.NaN }, concurrency: 0, samples: 0 }, ratioP50Alone: Number.NaN,
    beside: { ticks: 0, ticksPerSecond: Number.NaN, tickLatencyMs: { p50: Number.NaN, p99: Number.NaN }, floorLatencyMs: { p50: Number.NaN, p99: Number.NaN }, samples: 0, meanTicksInFlight: Number.NaN },
    ratioP50: Number.NaN,
  };
  if (!floor) return result;

  // 2. The floor alone: every tick of run 1 replayed once, at run 1's mean concurrency.
  const concurrency = Math.max(1, Math.round(alone.meanInFlight));
  const floorAlone = await mapLimit(alone.recorded, concurrency, (calls, i) => replayTickIo(clients, calls, res.deadLetterQueueUrl, `a${i}`));
  result.floorAlone = { latencyMs: latency(floorAlone), concurrency, samples: floorAlone.length };
  result.ratioP50Alone = round(tickP50 / percentile(floorAlone, 50));

  // 3. Ticks and floor together: each tick starts a replay of one of the latest recorded ticks beside it.
  const recent: IoCall[][] = [...alone.recorded.slice(-64)];
  let sample = 0;
  const besideIds = await start(`svb-${randomBytes(2).toString('hex')}`);
  const beside = await runTicks(besideIds, () => {
    const i = sample++;
    return replayTickIo(clients, recent[(i * 7919) % recent.length]!, res.deadLetterQueueUrl, `b${i}`);
  });
  result.beside = {
    ticks: beside.latencies.length, ticksPerSecond: round(beside.latencies.length / beside.seconds, 1), tickLatencyMs: latency(beside.latencies),
    floorLatencyMs: latency(beside.floorLatencies), samples: beside.floorLatencies.length, meanTicksInFlight: round(beside.meanInFlight, 1),
  };
  result.ratioP50 = round(percentile(beside.latencies, 50) / percentile(beside.floorLatencies, 50));
  result.failedTicks += beside.stats.failedRecords;
  return result;
}

const latency = (values: number[]): Latency => ({ p50: round(percentile(values, 50)), p99: round(percentile(values, 99)) });

export function printTicks(t: TickBenchResult, say: (line: string) => void): void {
  say(`  run 1, ticks alone: ${t.ticks} ticks over ${t.rollouts} rollouts (${t.completed} completed, ${t.failedTicks} tick records failed and left for redelivery), ${t.consumers} consumers × batches of 10, ${t.meanTicksInFlight} ticks in flight on average`);
  say(`    ${t.ticksPerSecond} ticks/s (target ≥ 200); tick latency p50 ${t.tickLatencyMs.p50} ms, p99 ${t.tickLatencyMs.p99} ms`);
  say(`    one tick sends ${JSON.stringify(t.io.requestsPerTick)}, ${t.io.itemsPerTransaction} items per transaction (what the floor replays); a tick waited on its own requests p50 ${t.io.waitedMs.p50} ms, p99 ${t.io.waitedMs.p99} ms`);
  if (Number.isNaN(t.ratioP50)) return;
  say(`  run 2, floor alone after the ticks (run 1's ${t.floorAlone.samples} ticks replayed, ${t.floorAlone.concurrency} in flight, nothing else running): p50 ${t.floorAlone.latencyMs.p50} ms, p99 ${t.floorAlone.latencyMs.p99} ms`);
  say(`    ratio run-1 tick p50 / floor-alone p50 ${t.ratioP50Alone} (not like for like: the floor had the emulators to itself)`);
  say(`  run 3, ticks with the floor beside them (one replay started with each tick, same clients): ${t.beside.ticks} ticks, ${t.beside.ticksPerSecond} ticks/s, ${t.beside.meanTicksInFlight} ticks in flight on average`);
  say(`    tick latency p50 ${t.beside.tickLatencyMs.p50} ms, p99 ${t.beside.tickLatencyMs.p99} ms; floor p50 ${t.beside.floorLatencyMs.p50} ms, p99 ${t.beside.floorLatencyMs.p99} ms (${t.beside.samples} samples)`);
  say(`    ratio tick p50 / floor p50, measured together ${t.ratioP50} (target ≤ 1.25)`);
}
