import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AuditEventDraft } from '../../domain/commands.js';
import type { NotificationDestination } from '../../domain/spec.js';
import type { RolloutState } from '../../domain/state.js';
import type { Notifier } from '../../ports/notifier.js';
import { hostOf } from '../../app/deliver-notification.js';
import { log } from '../../log.js';
import { queueUrlResolver } from '../sqs/queue-url.js';
import { buildJobs } from './jobs.js';

export interface QueueingNotifierOptions {
  queue: { url?: string; name?: string };
  /** Global destinations (CODEDANCE_NOTIFICATIONS), added to each rollout's own. */
  globals: NotificationDestination[];
  isAllowed: (url: string) => boolean;
  /** Bounds the one SQS call a tick spends on notifications. Default 2000. */
  timeoutMs?: number;
}

/** SendMessageBatch takes at most 10 entries. */
const BATCH = 10;

/**
 * The production Notifier: it only enqueues. Each (event × destination) becomes a job on the
 * notification queue, sent with one SendMessageBatch per 10 jobs, so a slow or failing receiver never
 * costs a tick more than that call; the notify function delivers and retries them.
 */
export class QueueingNotifier implements Notifier {
  private readonly queueUrl: () => Promise<string>;

  constructor(private readonly client: SQSClient, private readonly options: QueueingNotifierOptions) {
    this.queueUrl = queueUrlResolver(client, options.queue);
  }

  async notify(state: RolloutState, events: AuditEventDraft[]): Promise<void> {
    const jobs = buildJobs(state, events, this.options.globals).filter((job) => {
      if (this.options.isAllowed(job.destination.url)) return true;
      // Retrying cannot change the allowlist: drop now rather than fill the queue.
      log.warn('notification dropped: destination host is not on the outbound allowlist', { rolloutId: state.id, host: hostOf(job.destination.url), event: job.payload.event });
      return false;
    });
    if (jobs.length === 0) return;
    const signal = AbortSignal.timeout(this.options.timeoutMs ?? 2000);
    const queueUrl = await this.queueUrl();
    for (let i = 0; i < jobs.length; i += BATCH) {
      const chunk = jobs.slice(i, i + BATCH);
      const out = await this.client.send(new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((job, index) => ({ Id: String(index), MessageBody: JSON.stringify(job) })),
      }), { abortSignal: signal });
      for (const failed of out.Failed ?? []) {
        log.warn('notification not enqueued', { rolloutId: state.id, key: chunk[Number(failed.Id)]?.key, code: failed.Code, reason: failed.Message });
      }
    }
  }
}
