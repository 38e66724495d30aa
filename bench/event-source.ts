/**
 * Lambda's SQS event source mapping as the benchmarks play it, with the rule of the local poller
 * (infra/local/aws/sqs-poller.ts): receive up to 10 messages, hand them to the handler as one SQS event,
 * delete only the records the handler did not report in `batchItemFailures`; a handler that throws, or
 * reports an id that is not in the batch, fails the whole batch and nothing is deleted. A failed
 * message stays on the queue and comes back after the visibility timeout, as on AWS.
 *
 * Why not the poller itself: it long-polls for 1 s, and local-aws-sqs holds a long poll for the whole
 * wait unless 10 messages arrive, which would add up to a second of lateness to every tick measured here.
 * This loop polls without waiting and sleeps `idleMs` after an empty receive instead.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export type BatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

/** What the event source mapping saw: kept by the caller, filled by every consumer loop it passes it to. */
export interface EventSourceStats {
  receivedRecords: number;
  /** Records reported failed (or in a failed batch): left on the queue for redelivery, never deleted. */
  failedRecords: number;
  /** Batches whose handler threw: all their records were left on the queue. */
  failedBatches: number;
  deletedRecords: number;
  emptyReceives: number;
}

export const newEventSourceStats = (): EventSourceStats => ({ receivedRecords: 0, failedRecords: 0, failedBatches: 0, deletedRecords: 0, emptyReceives: 0 });

export interface ConsumeOptions {
  sqs: SQSClient;
  queueUrl: string;
  handler: BatchHandler;
  /** Polled before every receive; the loop ends when it returns false. */
  running: () => boolean;
  stats: EventSourceStats;
  idleMs?: number;
  /** Told once per batch whose handler threw (the records stay on the queue). */
  onBatchError?: (error: unknown) => void;
}

/** One consumer loop (Lambda runs several in parallel as the queue fills); resolves when `running()` is false. */
export async function consumeQueue(o: ConsumeOptions): Promise<void> {
  while (o.running()) {
    const { Messages = [] } = await o.sqs.send(new ReceiveMessageCommand({
      QueueUrl: o.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, AttributeNames: ['All'], MessageSystemAttributeNames: ['All'],
    }));
    if (Messages.length === 0) { o.stats.emptyReceives++; await new Promise((r) => setTimeout(r, o.idleMs ?? 5)); continue; }
    const records = [...new Map(Messages.map((m) => [m.MessageId ?? m.ReceiptHandle, m])).values()].map(toRecord);
    o.stats.receivedRecords += records.length;
    let failed: Set<string>;
    try {
      failed = failedIds(await o.handler({ Records: records }), records);
    } catch (error) {
      o.stats.failedBatches++;
      o.stats.failedRecords += records.length;
      o.onBatchError?.(error);
      continue;
    }
    o.stats.failedRecords += failed.size;
    const done = records.filter((r) => !failed.has(r.messageId));
    if (done.length === 0) continue;
    await o.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: o.queueUrl, Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })) }));
    o.stats.deletedRecords += done.length;
  }
}

/** Lambda's rule: a failure naming no record of the batch fails the whole batch. */
function failedIds(response: SQSBatchResponse | void, records: SQSRecord[]): Set<string> {
  const ids = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  const known = new Set(records.map((r) => r.messageId));
  return [...ids].every((id) => known.has(id)) ? ids : known;
}

function toRecord(m: Message): SQSRecord {
  const a = m.Attributes ?? {};
  return {
    messageId: m.MessageId ?? '', receiptHandle: m.ReceiptHandle ?? '', body: m.Body ?? '', md5OfBody: m.MD5OfBody ?? '',
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1', SentTimestamp: a.SentTimestamp ?? String(Date.now()),
      SenderId: a.SenderId ?? 'bench', ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {}, eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:eu-west-1:000000000000:bench', awsRegion: 'eu-west-1',
  };
}
