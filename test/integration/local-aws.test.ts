import { randomUUID } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { localDynamoDb, localSqs } from '../../infra/local/aws/clients.js';
import { createResourcesFromServerlessYml, type LocalResources } from '../../infra/local/aws/resources.js';
import { startSqsPoller, type SqsPoller } from '../../infra/local/aws/sqs-poller.js';

/**
 * The local AWS stack against itself: real DynamoDB Local and local-aws-sqs (started once per run by
 * test/support/aws-global-setup.ts with startDynamoDbLocal and startSqsLocal), no mocks.
 */
describe('local AWS stack', () => {
  const { dynamodbEndpoint, sqsEndpoint } = inject('aws');
  const dynamo = { endpoint: dynamodbEndpoint };
  const sqs = { endpoint: sqsEndpoint };
  const pollers: SqsPoller[] = [];

  afterAll(async () => {
    await Promise.all(pollers.map((p) => p.stop()));
  }, 30_000);

  /** Fresh table and queues per test: local-aws-sqs only purges after 60 s. Short timeouts keep redelivery fast. */
  const freshResources = (): Promise<LocalResources> => createResourcesFromServerlessYml({
    stage: 'test', dynamodbEndpoint: dynamo.endpoint, sqsEndpoint: sqs.endpoint,
    suffix: `-${randomUUID().slice(0, 8)}`, visibilityTimeoutSeconds: 2, maxReceiveCount: 2,
  });

  const send = async (queueUrl: string, bodies: string[]): Promise<void> => {
    const client = localSqs(sqs.endpoint);
    await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body })) }));
    client.destroy();
  };

  const poll = async (queueUrl: string, deliver: (event: SQSEvent) => Promise<SQSBatchResponse | void>): Promise<SqsPoller> => {
    const poller = await startSqsPoller({ queueUrl, sqsEndpoint: sqs.endpoint, deliver, log: () => {} });
    pollers.push(poller);
    return poller;
  };

  const visibleCount = async (queueUrl: string): Promise<number> => {
    const client = localSqs(sqs.endpoint);
    const out = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    client.destroy();
    return Number(out.Attributes?.ApproximateNumberOfMessages) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible);
  };

  it('creates the table with the byDue and byCreated indexes from serverless.yml', async () => {
    // Prepare
    const { tableName } = await freshResources();
    const client = localDynamoDb(dynamo.endpoint);

    // Act
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    client.destroy();

    // Assess
    expect(tableName).toMatch(/^codedance-test-[0-9a-f]{8}$/);
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }]);
    expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual(['byCreated', 'byDue']);
  });

  it('is idempotent: creating the same resources twice is fine', async () => {
    const options = { stage: 'test', dynamodbEndpoint: dynamo.endpoint, sqsEndpoint: sqs.endpoint, suffix: `-${randomUUID().slice(0, 8)}` };
    const first = await createResourcesFromServerlessYml(options);
    const second = await createResourcesFromServerlessYml({ ...options, visibilityTimeoutSeconds: 5 });
    expect(second).toEqual(first);
    const client = localSqs(sqs.endpoint);
    const out = await client.send(new GetQueueAttributesCommand({ QueueUrl: second.tickQueueUrl, AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'] }));
    client.destroy();
    expect(out.Attributes?.VisibilityTimeout).toBe('5'); // changed attributes are applied to the existing queue
    expect(out.Attributes?.RedrivePolicy).toContain(first.deadLetterQueueArn);
  });

  it('deletes acknowledged records, redelivers the reported failure and moves it to the DLQ after maxReceiveCount', async () => {
    // Prepare
    const res = await freshResources();
    expect(res.deadLetterQueueUrl).toMatch(/-dlq$/);
    const ticks: SQSRecord[] = [];
    const deadLetters: SQSRecord[] = [];
    await send(res.tickQueueUrl, ['one', 'two', 'three']);

    // Act
    await poll(res.tickQueueUrl, async (event) => {
      ticks.push(...event.Records);
      return { batchItemFailures: event.Records.filter((r) => r.body === 'two').map((r) => ({ itemIdentifier: r.messageId })) };
    });
    await poll(res.deadLetterQueueUrl, async (event) => { deadLetters.push(...event.Records); });

    // Assess
    await vi.waitFor(() => expect(deadLetters.map((r) => r.body)).toEqual(['two']), { timeout: 30_000, interval: 200 });
    const receives = (body: string) => ticks.filter((r) => r.body === body).map((r) => r.attributes.ApproximateReceiveCount);
    expect(receives('one')).toEqual(['1']);
    expect(receives('three')).toEqual(['1']);
    expect(receives('two')).toEqual(['1', '2']);
    expect(ticks[0]).toMatchObject({ eventSource: 'aws:sqs', eventSourceARN: res.tickQueueArn, awsRegion: 'eu-west-1', md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/) });
    await vi.waitFor(async () => expect(await visibleCount(res.tickQueueUrl) + await visibleCount(res.deadLetterQueueUrl)).toBe(0), { timeout: 10_000 });
  }, 60_000);

  it('deletes nothing when delivery throws, so the whole batch comes back', async () => {
    // Prepare
    const res = await freshResources();
    const seen: string[] = [];
    await send(res.tickQueueUrl, ['a', 'b']);

    // Act: the first delivery fails as a crashed Lambda would, the next one succeeds.
    await poll(res.tickQueueUrl, async (event) => {
      seen.push(...event.Records.map((r) => `${r.body}#${r.attributes.ApproximateReceiveCount}`));
      if (seen.length <= 2) throw new Error('handler crashed');
    });

    // Assess
    await vi.waitFor(() => expect(seen.sort()).toEqual(['a#1', 'a#2', 'b#1', 'b#2']), { timeout: 20_000, interval: 200 });
    await vi.waitFor(async () => expect(await visibleCount(res.tickQueueUrl)).toBe(0), { timeout: 10_000 });
  }, 60_000);
});
