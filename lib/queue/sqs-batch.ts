import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import type { TickMessage } from '../ports/tick-queue.js';
import { log } from '../log.js';

export const tickMessageSchema = z.object({
  rolloutId: z.string().min(1),
  seq: z.number().int().min(0),
  wakeAt: z.iso.datetime({ offset: true }),
  deferrals: z.number().int().min(1).optional(),
});

/** Parses a record body; a malformed body is a poison message (reported failed, ends in the DLQ). */
export function parseTickMessage(record: SQSRecord): TickMessage {
  return tickMessageSchema.parse(JSON.parse(record.body));
}

/**
 * Runs every record of a batch independently and reports only the failed ones, so SQS redelivers
 * just those (ReportBatchItemFailures) instead of the whole batch.
 */
export async function processBatch(event: SQSEvent, work: (record: SQSRecord) => Promise<unknown>): Promise<SQSBatchResponse> {
  const results = await Promise.allSettled(event.Records.map((record) => work(record)));
  const batchItemFailures = results.flatMap((result, index) => {
    if (result.status === 'fulfilled') return [];
    const record = event.Records[index];
    const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
    log.error('record failed', { messageId: record?.messageId, reason });
    return record ? [{ itemIdentifier: record.messageId }] : [];
  });
  return { batchItemFailures };
}
