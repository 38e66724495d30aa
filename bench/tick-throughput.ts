/**
 * Tick throughput and latency on DynamoDB Local and local-aws-sqs with fake cluster and metrics,
 * against the raw I/O floor: the same DynamoDB and SQS calls a tick makes, issued directly.
 */
import { randomBytes } from 'node:crypto';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetItemCommand, TransactWriteItemsCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { localDynamoDb, localSqs } from '../infra/local/aws/clients.js';
import { createResourcesFromServerlessYml } from '../infra/local/aws/resources.js';
import { DynamoRolloutStore } from '../lib/adapters/dynamodb/rollout-store.js';
import { SqsTickQueue } from '../lib/adapters/sqs/tick-queue.js';
import { reconcileRollout } from '../lib/app/reconcile-rollout.js';
import { startRollout } from '../lib/app/start-rollout.js';
import type { Dependencies } from '../lib/app/dependencies.js';
import { tickMessageSchema } from '../lib/queue/sqs-batch.js';
import { systemClock } from '../lib/ports/clock.js';
import { FakeCluster, fakeRegistry } from '../test/support/fake-cluster.js';
import { FakeMetrics } from '../test/support/fake-metrics.js';
import { documentWith } from '../test/support/fixtures.js';
import { mapLimit, percentile, round } from './stats.js';

export interface TickBenchResult {
  rollouts: number;
  ticks: number;
  ticksPerSecond: number;
  tickLatencyMs: { p50: number; p99: number };
  floorLatencyMs: { p50: number; p99: number };
  ratioP50: number;
  completed: number;
}

export async function benchTicks(endpoints: { dynamodb: string; sqs: string }, rollouts = 200, consumers = 8): Promise<TickBenchResult> {
  const suffix = `-${randomBytes(4).toString('hex')}`;
  const res = await createResourcesFromServerlessYml({ stage: 'bench', dynamodbEndpoint: endpoints.dynamodb, sqsEndpoint: endpoints.sqs, suffix, visibilityTimeoutSeconds: 30 });
  const dynamo = localDynamoDb(endpoints.dynamodb);
  const sqs = localSqs(endpoints.sqs);
  const store = new DynamoRolloutStore(dynamo, res.tableName);
  const cluster = new FakeCluster();
  const deps: Dependencies = {
    store, audit: store, queue: new SqsTickQueue(sqs, { url: res.tickQueueUrl }), clusters: fakeRegistry(cluster),
    metrics: new FakeMetrics(), notifier: { notify: async () => undefined }, clock: systemClock,
    newId: () => `ro_${randomBytes(8).toString('hex')}`,
  };
  // Every step has no pause, so each rollout makes one decision per tick as fast as ticks come.
  const steps = [5, 10, 25, 50, 75, 100].map((weight) => ({ weight, pause: '0s' }));
  const ids = await mapLimit(Array.from({ length: rollouts }, (_, i) => i), 16, async (i) => {
    const doc = documentWith({ targetDeployment: `svc-${i}`, strategy: { type: 'Linear', steps } }, { name: `svc-${i}` });
    const state = await startRollout(deps, { document: doc, actor: { id: 'bench', via: 'api' } });
    await cluster.ensureCanary({ id: state.id, spec: state.spec }, 2);
    return state.id;
  });

  const latencies: number[] = [];
  let done = 0;
  const start = performance.now();
  const consume = async (): Promise<void> => {
    while (done < rollouts) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: res.tickQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (Messages.length === 0) { await new Promise((r) => setTimeout(r, 5)); continue; }
      await Promise.all(Messages.map(async (m) => {
        const t0 = performance.now();
        const outcome = await reconcileRollout(deps, tickMessageSchema.parse(JSON.parse(m.Body ?? '')));
        latencies.push(performance.now() - t0);
        if (outcome.kind === 'decided' && (outcome.phase === 'Completed' || outcome.phase === 'Failed')) done++;
      }));
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: res.tickQueueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })) }));
    }
  };
  await Promise.all(Array.from({ length: consumers }, consume));
  const seconds = (performance.now() - start) / 1000;
  const floor = await rawFloor(dynamo, sqs, res.tableName, res.tickQueueUrl, ids, latencies.length, consumers * 10);
  const completed = (await Promise.all(ids.map((id) => store.get(id)))).filter((s) => s?.phase === 'Completed').length;
  const p50 = percentile(latencies, 50);
  return {
    rollouts, ticks: latencies.length, ticksPerSecond: round(latencies.length / seconds, 1),
    tickLatencyMs: { p50: round(p50), p99: round(percentile(latencies, 99)) },
    floorLatencyMs: { p50: round(percentile(floor, 50)), p99: round(percentile(floor, 99)) },
    ratioP50: round(p50 / percentile(floor, 50)), completed,
  };
}

/** The same I/O as a tick: consistent GetItem, a two-item conditional transaction, one SendMessage. */
export async function rawFloor(dynamo: ReturnType<typeof localDynamoDb>, sqs: ReturnType<typeof localSqs>, table: string, queueUrl: string, ids: string[], count: number, concurrency: number): Promise<number[]> {
  const items = await Promise.all(ids.map(async (id) => (await dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: { S: `R#${id}` }, sk: { S: 'STATE' } } }))).Item!));
  const timings: number[] = [];
  await mapLimit(Array.from({ length: count }, (_, i) => i), concurrency, async (i) => {
    timings.push(await floorOnce(dynamo, sqs, table, queueUrl, ids[i % ids.length]!, items[i % ids.length]!, `${i}`));
  });
  return timings;
}

/** One floor sample on the state item `item` of rollout `id`; `tag` keeps the written keys unique. Returns ms. */
export async function floorOnce(dynamo: ReturnType<typeof localDynamoDb>, sqs: ReturnType<typeof localSqs>, table: string, queueUrl: string, id: string, item: Record<string, AttributeValue>, tag: string): Promise<number> {
  const t0 = performance.now();
  await dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: { S: `R#${id}` }, sk: { S: 'STATE' } }, ConsistentRead: true }));
  await dynamo.send(new TransactWriteItemsCommand({ TransactItems: [
    { Put: { TableName: table, Item: { ...item, sk: { S: `FLOOR#${tag}` } }, ConditionExpression: 'attribute_not_exists(pk)' } },
    { Put: { TableName: table, Item: { pk: { S: `R#${id}` }, sk: { S: `FLOOR-E#${tag}` }, body: { S: JSON.stringify({ tag, message: 'x'.repeat(200) }) } }, ConditionExpression: 'attribute_not_exists(pk)' } },
  ] }));
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ rolloutId: id, seq: 0, wakeAt: new Date().toISOString() }), DelaySeconds: 0 }));
  return performance.now() - t0;
}
