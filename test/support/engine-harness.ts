import { randomBytes } from 'node:crypto';
import type { Context, SQSEvent } from 'aws-lambda';
import { inject } from 'vitest';
import { localDynamoDb, localSqs } from '../../infra/local/aws/clients.js';
import { createResourcesFromServerlessYml, type LocalResources } from '../../infra/local/aws/resources.js';
import { startSqsPoller, type SqsPoller } from '../../infra/local/aws/sqs-poller.js';
import { DynamoRolloutStore } from '../../lib/adapters/dynamodb/rollout-store.js';
import { SqsTickQueue } from '../../lib/adapters/sqs/tick-queue.js';
import type { Dependencies } from '../../lib/app/dependencies.js';
import type { ClusterRegistry } from '../../lib/ports/cluster.js';
import type { TickMessage, TickQueue } from '../../lib/ports/tick-queue.js';
import { getDependencies, overrideDependencies, resetDependencies } from '../../functions/wiring.js';
import { handler as tickHandler } from '../../functions/queue/tick.js';
import { handler as deadLetterHandler } from '../../functions/queue/dead-letter.js';
import { handler as sweeperHandler } from '../../functions/schedule/sweeper.js';
import { FakeCluster, fakeRegistry } from './fake-cluster.js';
import { FakeMetrics } from './fake-metrics.js';
import { WarpedClock, WarpedQueue } from './warped-time.js';

export interface EngineHarness {
  deps: Dependencies;
  cluster: FakeCluster;
  metrics: FakeMetrics;
  resources: LocalResources;
  queue: WarpedQueue;
  store: DynamoRolloutStore;
  /** Message ids of tick records the handler reported as failed (a crashed or faulted tick). */
  tickFailures: string[];
  /** Starts delivering the tick queue (and DLQ) to the real handlers. */
  startPollers(): Promise<void>;
  sweep(): Promise<unknown>;
  deliverTick(event: SQSEvent): Promise<unknown>;
  stop(): Promise<void>;
}

const lambdaContext = { awsRequestId: 'test', functionName: 'test', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

/**
 * The engine as deployed, on the real emulators: the composition root reads the same env vars as on
 * Lambda, the real handlers run, and only the cluster, metrics and time are replaced by the test.
 */
export interface EngineHarnessOptions {
  timeFactor?: number;
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  clusters?: ClusterRegistry;
  /** Wraps the queue the engine schedules on (a fault-injecting queue); `queue` still records every send. */
  wrapQueue?: (queue: TickQueue) => TickQueue;
}

export async function startEngineHarness(options: EngineHarnessOptions = {}): Promise<EngineHarness> {
  const { dynamodbEndpoint, sqsEndpoint } = inject('aws');
  const suffix = `-${randomBytes(4).toString('hex')}`;
  const resources = await createResourcesFromServerlessYml({
    stage: 'test', dynamodbEndpoint, sqsEndpoint, suffix,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 2, maxReceiveCount: options.maxReceiveCount ?? 3,
  });
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint, AWS_ENDPOINT_URL_SQS: sqsEndpoint,
    CODEDANCE_TABLE: resources.tableName, CODEDANCE_TICK_QUEUE_URL: resources.tickQueueUrl,
    CODEDANCE_API_TOKEN: 'integration-token-0123456789',
    CODEDANCE_CALLBACK_SECRET: 'integration-callback-secret-0123456789',
  });
  resetDependencies();
  const factor = options.timeFactor ?? 1;
  const cluster = new FakeCluster();
  const metrics = new FakeMetrics();
  const store = new DynamoRolloutStore(localDynamoDb(dynamodbEndpoint), resources.tableName);
  const queue = new WarpedQueue(new SqsTickQueue(localSqs(sqsEndpoint), { url: resources.tickQueueUrl }), factor);
  overrideDependencies({ clusters: options.clusters ?? fakeRegistry(cluster), metrics, clock: new WarpedClock(factor), queue: options.wrapQueue ? options.wrapQueue(queue) : queue });
  const deps = getDependencies();
  const pollers: SqsPoller[] = [];
  const quiet = (): void => undefined;
  const tickFailures: string[] = [];
  const deliverTick = async (event: SQSEvent) => {
    const response = await tickHandler(event, lambdaContext);
    tickFailures.push(...(response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    return response;
  };
  return {
    deps, cluster, metrics, resources, queue, store, tickFailures,
    async startPollers() {
      pollers.push(await startSqsPoller({ queueUrl: resources.tickQueueUrl, sqsEndpoint, deliver: deliverTick, log: quiet }));
      pollers.push(await startSqsPoller({ queueUrl: resources.deadLetterQueueUrl, sqsEndpoint, deliver: (e) => deadLetterHandler(e, lambdaContext), log: quiet }));
    },
    sweep: () => sweeperHandler({}, lambdaContext),
    deliverTick,
    async stop() {
      await Promise.all(pollers.map((p) => p.stop()));
      resetDependencies();
    },
  };
}

export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** An SQS event carrying the given tick messages, as Lambda hands it to the tick function. */
export const sqsEvent = (...messages: TickMessage[]): SQSEvent => ({
  Records: messages.map((m, i) => ({
    messageId: `m${i}`, receiptHandle: `r${i}`, body: JSON.stringify(m), md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn', awsRegion: 'eu-west-1',
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' }, messageAttributes: {},
  })),
});
