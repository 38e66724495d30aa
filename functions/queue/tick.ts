import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Dependencies } from '../../lib/app/dependencies.js';
import { reconcileOrDefer } from '../../lib/app/defer-tick.js';
import { parseTickMessage, processBatch } from '../../lib/queue/sqs-batch.js';
import { getDependencies } from '../wiring.js';
import { log } from '../../lib/log.js';

/** SQS consumer: one reconcile per tick message (put back when the store or the apiserver is unavailable), partial batch failures reported to SQS. */
export function makeTickHandler(dependencies: () => Dependencies) {
  return middy<SQSEvent, SQSBatchResponse>().handler((event) =>
    processBatch(event, async (record) => {
      const outcome = await reconcileOrDefer(dependencies(), parseTickMessage(record), Number(record.attributes.ApproximateReceiveCount) || 1);
      if (outcome.kind === 'deferred') {
        log.warn('tick deferred: rollout store or apiserver unavailable', { messageId: record.messageId, deferrals: outcome.deferrals, delaySeconds: Math.round(outcome.delaySeconds), reason: outcome.reason });
        return;
      }
      log.info('tick', { messageId: record.messageId, outcome: outcome.kind, ...('phase' in outcome ? { phase: outcome.phase } : {}) });
    }),
  );
}

export const handler = makeTickHandler(getDependencies);
