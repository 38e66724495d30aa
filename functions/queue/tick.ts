import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Dependencies } from '../../lib/app/dependencies.js';
import { reconcileRollout } from '../../lib/app/reconcile-rollout.js';
import { parseTickMessage, processBatch } from '../../lib/queue/sqs-batch.js';
import { getDependencies } from '../wiring.js';
import { log } from '../../lib/log.js';

/** SQS consumer: one reconcile per tick message, partial batch failures reported to SQS. */
export function makeTickHandler(dependencies: () => Dependencies) {
  return middy<SQSEvent, SQSBatchResponse>().handler((event) =>
    processBatch(event, async (record) => {
      const outcome = await reconcileRollout(dependencies(), parseTickMessage(record));
      log.info('tick', { messageId: record.messageId, outcome: outcome.kind, ...('phase' in outcome ? { phase: outcome.phase } : {}) });
    }),
  );
}

export const handler = makeTickHandler(getDependencies);
