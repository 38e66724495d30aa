/**
 * The local stand-in for Lambda's SQS event source mapping. serverless-offline-sqs does not fit: it
 * ignores `batchItemFailures` and deletes failed messages. This poller deletes only the records the
 * function did not report as failed, so redelivery, ApproximateReceiveCount and DLQ redrive work as on AWS.
 */
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { localSqs } from './clients.js';

export type Deliver = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

export interface SqsPollerOptions {
  queueUrl: string;
  sqsEndpoint: string;
  deliver: Deliver;
  batchSize?: number;
  /** Keep it at 1: local-aws-sqs holds a long poll for the full wait unless `batchSize` messages arrive. */
  waitTimeSeconds?: number;
  region?: string;
  log?: (line: string) => void;
}

export interface SqsPoller {
  /** Stops polling; resolves after the delivery in flight (if any) has finished and been acknowledged. */
  stop(): Promise<void>;
}

export async function startSqsPoller(o: SqsPollerOptions): Promise<SqsPoller> {
  const log = o.log ?? ((line: string) => process.stderr.write(`[sqs-poller] ${line}\n`));
  const client = localSqs(o.sqsEndpoint, { region: o.region });
  const arn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: o.queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
  if (!arn) throw new Error(`${o.queueUrl}: no QueueArn`);
  const region = arn.split(':')[3] ?? o.region ?? '';
  let stopped = false;

  const pollOnce = async (): Promise<void> => {
    const { Messages = [] } = await client.send(new ReceiveMessageCommand({
      QueueUrl: o.queueUrl, MaxNumberOfMessages: o.batchSize ?? 10, WaitTimeSeconds: o.waitTimeSeconds ?? 1,
      // local-aws-sqs reads only AttributeNames, AWS only the newer MessageSystemAttributeNames: send both.
      AttributeNames: ['All'], MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'],
    }));
    // Received after stop(): leave them; they come back after the visibility timeout.
    if (stopped || Messages.length === 0) return;
    const records = latestPerMessage(Messages).map((m) => toRecord(m, arn, region));
    let failed: Set<string>;
    try {
      failed = failedIds(await o.deliver({ Records: records }), records);
    } catch (err) {
      log(`delivery of ${records.length} message(s) failed, all will be retried: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const done = records.filter((r) => !failed.has(r.messageId));
    if (done.length === 0) return;
    const out = await client.send(new DeleteMessageBatchCommand({
      QueueUrl: o.queueUrl, Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
    }));
    for (const f of out.Failed ?? []) log(`could not delete a message: ${f.Code} ${f.Message ?? ''}`);
  };

  const loop = (async () => {
    while (!stopped) {
      try {
        await pollOnce();
      } catch (err) {
        if (stopped) break;
        log(`receive/delete failed, retrying in 1 s: ${err instanceof Error ? err.message : String(err)}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  })();

  return {
    stop: async () => {
      stopped = true;
      await loop;
      client.destroy();
    },
  };
}

/**
 * local-aws-sqs may return one message twice in a single receive when its visibility timeout ends during
 * the long poll (AWS never does). Keep the last copy: its receipt handle is the current one.
 */
function latestPerMessage(messages: Message[]): Message[] {
  return [...new Map(messages.map((m) => [m.MessageId ?? m.ReceiptHandle, m])).values()];
}

/** Lambda's rule: a failure naming no record of the batch fails the whole batch. */
function failedIds(response: SQSBatchResponse | void, records: SQSRecord[]): Set<string> {
  const ids = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  const known = new Set(records.map((r) => r.messageId));
  return [...ids].every((id) => known.has(id)) ? ids : known;
}

function toRecord(m: Message, arn: string, region: string): SQSRecord {
  const a = m.Attributes ?? {};
  return {
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: {
      ...a,
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? String(Date.now()),
      SenderId: a.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: toLambdaAttributes(m.MessageAttributes ?? {}),
    md5OfBody: m.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: arn,
    awsRegion: region,
  };
}

/** The SDK's {StringValue, DataType} becomes Lambda's {stringValue, dataType}; binaries travel as base64. */
function toLambdaAttributes(attrs: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  return Object.fromEntries(Object.entries(attrs).map(([name, v]) => [name, {
    dataType: v.DataType ?? 'String',
    stringValue: v.StringValue,
    binaryValue: v.BinaryValue ? Buffer.from(v.BinaryValue).toString('base64') : undefined,
    stringListValues: v.StringListValues ?? [],
    binaryListValues: (v.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
  }]));
}

const batchResponseSchema = z.object({ batchItemFailures: z.array(z.object({ itemIdentifier: z.string() })).optional() }).nullable();

/** The Lambda name serverless-offline exposes on its invoke endpoint: `<service>-<stage>-<function key>`. */
export const offlineFunctionName = (service: string, stage: string, functionKey: string): string => `${service}-${stage}-${functionKey}`;

/**
 * A `deliver` that invokes `functionName` (the full name, see offlineFunctionName) through serverless-offline's
 * Lambda API, like the event source mapping does on AWS. A thrown handler error rejects, failing the batch.
 */
export function invokeViaServerlessOffline(functionName: string, lambdaPort: number, timeoutMs = 120_000): Deliver {
  const url = `http://127.0.0.1:${lambdaPort}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`;
  return async (event) => {
    const res = await fetch(url, { method: 'POST', body: JSON.stringify(event), signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    // serverless-offline answers 200 plus this header when the handler threw, and 404 for an unknown name.
    if (!res.ok || res.headers.has('x-amz-function-error')) throw new Error(`${functionName} failed (HTTP ${res.status}): ${text.slice(0, 500)}`);
    if (text.trim() === '') return; // the handler returned nothing: the whole batch succeeded
    const parsed = batchResponseSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${functionName} returned no SQSBatchResponse: ${text.slice(0, 500)}`);
    return { batchItemFailures: parsed.data?.batchItemFailures ?? [] };
  };
}
