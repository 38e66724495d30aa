import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { queueUrlResolver } from './queue-url.js';
import { MAX_DELAY_SECONDS, type TickMessage, type TickQueue } from '../../ports/tick-queue.js';

/** Tick messages on SQS. The queue URL is resolved by name once per container. */
export class SqsTickQueue implements TickQueue {
  private readonly queueUrl: () => Promise<string>;

  constructor(private readonly client: SQSClient, queue: { url?: string; name?: string }) {
    this.queueUrl = queueUrlResolver(client, queue);
  }

  /**
   * Whole seconds, rounded down: the message arrives up to a second early (the tick waits out the
   * rest) instead of up to a second late.
   */
  async schedule(message: TickMessage, delaySeconds: number): Promise<void> {
    const DelaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.floor(delaySeconds)));
    await this.client.send(new SendMessageCommand({ QueueUrl: await this.queueUrl(), MessageBody: JSON.stringify(message), DelaySeconds }));
  }
}
