import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Dependencies } from '../../lib/app/dependencies.js';
import { markPoisoned } from '../../lib/app/mark-poisoned.js';
import { parseTickMessage, processBatch } from '../../lib/queue/sqs-batch.js';
import { getDependencies } from '../wiring.js';
import { log } from '../../lib/log.js';

/** DLQ consumer: the rollout a poison tick names is rolled back with reason PoisonMessage, never left stuck. */
export function makeDeadLetterHandler(dependencies: () => Dependencies) {
  return middy<SQSEvent, SQSBatchResponse>().handler((event) =>
    processBatch(event, async (record) => {
      let message;
      try {
        message = parseTickMessage(record);
      } catch {
        // Not a tick at all: nothing to mark; keep a trace and drop it.
        log.error('unreadable dead letter dropped', { messageId: record.messageId });
        return;
      }
      const receives = Number(record.attributes.ApproximateReceiveCount ?? 0);
      const outcome = await markPoisoned(dependencies(), message, receives);
      log.warn('poison tick', { rolloutId: message.rolloutId, seq: message.seq, outcome });
    }),
  );
}

export const handler = makeDeadLetterHandler(getDependencies);
