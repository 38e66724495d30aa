/**
 * Creates serverless.yml's DynamoDB table and SQS queues in the local emulators (or localstack), so the
 * local stack runs against exactly the keys, indexes and redrive settings that CloudFormation deploys.
 */
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, UpdateTableCommand, UpdateTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, QueueNameExists, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { localDynamoDb, localSqs } from './clients.js';
import { readServerlessYml, resolveString, resolveVariables } from './serverless-yml.js';

export interface LocalResourcesOptions {
  stage: string;
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  /** Appended to the table and queue names, so each test gets fresh ones (PurgeQueue only clears after 60 s locally). */
  suffix?: string;
  region?: string;
  /** Directory holding serverless.yml; default: the current directory. */
  serviceDir?: string;
  /** Overrides for tests: seconds a received message stays invisible (all queues), and receives before the DLQ. */
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
}

export interface LocalResources {
  tableName: string;
  tickQueueName: string;
  tickQueueUrl: string;
  deadLetterQueueUrl: string;
  tickQueueArn: string;
  deadLetterQueueArn: string;
}

const keySchema = z.array(z.object({ AttributeName: z.string(), KeyType: z.enum(['HASH', 'RANGE']) }));
const gsiSchema = z.object({
  IndexName: z.string(),
  KeySchema: keySchema,
  Projection: z.object({ ProjectionType: z.enum(['ALL', 'KEYS_ONLY', 'INCLUDE']), NonKeyAttributes: z.array(z.string()).optional() }),
});
const tableSchema = z.object({
  TableName: z.string(),
  AttributeDefinitions: z.array(z.object({ AttributeName: z.string(), AttributeType: z.enum(['S', 'N', 'B']) })),
  KeySchema: keySchema,
  GlobalSecondaryIndexes: z.array(gsiSchema).default([]),
  TimeToLiveSpecification: z.object({ AttributeName: z.string(), Enabled: z.boolean() }).optional(),
});
const getAttArn = z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) });
const queueSchema = z.object({
  QueueName: z.string(),
  VisibilityTimeout: z.number().optional(),
  MessageRetentionPeriod: z.number().optional(),
  DelaySeconds: z.number().optional(),
  ReceiveMessageWaitTimeSeconds: z.number().optional(),
  RedrivePolicy: z.object({ deadLetterTargetArn: z.union([z.string(), getAttArn]), maxReceiveCount: z.number() }).optional(),
});

export async function createResourcesFromServerlessYml(options: LocalResourcesOptions): Promise<LocalResources> {
  const doc = readServerlessYml(options.serviceDir ?? process.cwd());
  const opt = { stage: options.stage, region: options.region };
  const suffix = options.suffix ?? '';
  // Suffix the names at their source, so every name derived from them (the DLQ's) gets it too.
  const named = (path: string): string => `${resolveString(`\${self:${path}}`, doc, { opt })}${suffix}`;
  const self = { 'provider.stage': options.stage, 'custom.tableName': named('custom.tableName'), 'custom.tickQueueName': named('custom.tickQueueName') };
  const resources = Object.entries(doc.resources.Resources).map(([id, r]) => ({ id, type: r.Type, props: resolveVariables(r.Properties, doc, { opt, self }) }));

  const dynamodb = localDynamoDb(options.dynamodbEndpoint, { region: options.region });
  const sqs = localSqs(options.sqsEndpoint, { region: options.region });
  try {
    const tables = resources.filter((r) => r.type === 'AWS::DynamoDB::Table').map((r) => tableSchema.parse(r.props));
    for (const table of tables) await ensureTable(dynamodb, table);

    const queues = new Map(resources.filter((r) => r.type === 'AWS::SQS::Queue').map((r) => [r.id, queueSchema.parse(r.props)]));
    const arns = new Map<string, { url: string; arn: string }>();
    // A queue's RedrivePolicy needs its DLQ's ARN, so create DLQs first (one level of redrive is all AWS allows anyway).
    const order = [...queues.entries()].sort(([, a], [, b]) => Number(a.RedrivePolicy !== undefined) - Number(b.RedrivePolicy !== undefined));
    for (const [id, q] of order) arns.set(id, await ensureQueue(sqs, q, arns, options));

    const tick = arns.get('TickQueue');
    const dlq = arns.get('TickDeadLetterQueue');
    const table = tables[0];
    if (!tick || !dlq || !table) throw new Error('serverless.yml must define RolloutsTable, TickQueue and TickDeadLetterQueue');
    return { tableName: table.TableName, tickQueueName: self['custom.tickQueueName'], tickQueueUrl: tick.url, deadLetterQueueUrl: dlq.url, tickQueueArn: tick.arn, deadLetterQueueArn: dlq.arn };
  } finally {
    dynamodb.destroy();
    sqs.destroy();
  }
}

async function ensureTable(client: DynamoDBClient, t: z.infer<typeof tableSchema>): Promise<void> {
  const { TimeToLiveSpecification: ttl, GlobalSecondaryIndexes: gsis, ...keys } = t;
  try {
    await client.send(new CreateTableCommand({ ...keys, GlobalSecondaryIndexes: gsis.length ? gsis : undefined, BillingMode: 'PAY_PER_REQUEST' }));
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
    // A table kept on disk (--data-dir) may predate an index added to serverless.yml since.
    const existing = (await client.send(new DescribeTableCommand({ TableName: t.TableName }))).Table?.GlobalSecondaryIndexes ?? [];
    for (const gsi of gsis.filter((g) => !existing.some((e) => e.IndexName === g.IndexName))) {
      await client.send(new UpdateTableCommand({ TableName: t.TableName, AttributeDefinitions: t.AttributeDefinitions, GlobalSecondaryIndexUpdates: [{ Create: gsi }] }));
    }
  }
  if (ttl) await client.send(new UpdateTimeToLiveCommand({ TableName: t.TableName, TimeToLiveSpecification: ttl })).catch(() => { /* already set */ });
}

async function ensureQueue(client: SQSClient, q: z.infer<typeof queueSchema>, created: Map<string, { arn: string }>, o: LocalResourcesOptions): Promise<{ url: string; arn: string }> {
  const attributes: Record<string, string> = {};
  const visibility = o.visibilityTimeoutSeconds ?? q.VisibilityTimeout;
  if (visibility !== undefined) attributes.VisibilityTimeout = String(visibility);
  if (q.MessageRetentionPeriod !== undefined) attributes.MessageRetentionPeriod = String(q.MessageRetentionPeriod);
  if (q.DelaySeconds !== undefined) attributes.DelaySeconds = String(q.DelaySeconds);
  if (q.ReceiveMessageWaitTimeSeconds !== undefined) attributes.ReceiveMessageWaitTimeSeconds = String(q.ReceiveMessageWaitTimeSeconds);
  if (q.RedrivePolicy) {
    const target = q.RedrivePolicy.deadLetterTargetArn;
    const arn = typeof target === 'string' ? target : created.get(target['Fn::GetAtt'][0])?.arn;
    if (!arn) throw new Error(`${q.QueueName}: dead-letter queue ${JSON.stringify(target)} is not defined before it`);
    attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: o.maxReceiveCount ?? q.RedrivePolicy.maxReceiveCount });
  }
  let url: string | undefined;
  try {
    url = (await client.send(new CreateQueueCommand({ QueueName: q.QueueName, Attributes: attributes }))).QueueUrl;
  } catch (err) {
    // Same name, other attributes (e.g. a test's visibility override on a reused name): update in place.
    if (!(err instanceof QueueNameExists) && !(err instanceof Error && err.name === 'QueueAlreadyExists')) throw err;
    url = (await client.send(new GetQueueUrlCommand({ QueueName: q.QueueName }))).QueueUrl;
    if (url) await client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  }
  if (!url) throw new Error(`${q.QueueName}: CreateQueue returned no URL`);
  const arn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
  if (!arn) throw new Error(`${q.QueueName}: no QueueArn`);
  return { url, arn };
}
