import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ZodError } from 'zod';
import { deliverNotification, type DeliveryDependencies } from '../../lib/app/deliver-notification.js';
import { parseNotificationJob } from '../../lib/adapters/notifications/jobs.js';
import { processBatch } from '../../lib/queue/sqs-batch.js';
import { log } from '../../lib/log.js';
import { getDeliveryDependencies } from '../wiring.js';

/**
 * Notification queue consumer: delivers each job at most once; a failed send is reported in
 * batchItemFailures, so SQS retries just that job after the visibility timeout.
 */
export function makeNotifyHandler(dependencies: () => DeliveryDependencies) {
  return middy<SQSEvent, SQSBatchResponse>().handler((event) =>
    processBatch(event, async (record) => {
      let job;
      try {
        job = parseNotificationJob(record.body);
      } catch (error) {
        // A malformed job can never succeed: retrying it would only delay its DLQ arrival.
        if (!(error instanceof ZodError) && !(error instanceof SyntaxError)) throw error;
        log.error('unreadable notification job dropped', { messageId: record.messageId, error: error.message });
        return;
      }
      await deliverNotification(dependencies(), job);
    }),
  );
}

export const handler = makeNotifyHandler(getDeliveryDependencies);
