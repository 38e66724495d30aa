import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MAX_DELAY_SECONDS, type TickMessage, type TickQueue } from '../../ports/tick-queue.js';

/** Tick messages on SQS. The queue URL is resolved by name once per container. */
export class SqsTickQueue implements TickQueue {
  private url: Promise<string> | undefined;

  constructor(private readonly client: SQSClient, private readonly queue: { url?: string; name?: string }) {}

  async schedule(message: TickMessage, delaySeconds: number): Promise<void> {
    const DelaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds)));
    await this.client.send(new SendMessageCommand({ QueueUrl: await this.queueUrl(), MessageBody: JSON.stringify(message), DelaySeconds }));
  }

  private queueUrl(): Promise<string> {
    if (this.queue.url) return Promise.resolve(this.queue.url);
    this.url ??= this.client.send(new GetQueueUrlCommand({ QueueName: this.queue.name })).then((out) => {
      if (!out.QueueUrl) throw new Error(`queue ${this.queue.name} has no URL`);
      return out.QueueUrl;
    });
    // A failed lookup must not be cached for the container's lifetime.
    this.url.catch(() => { this.url = undefined; });
    return this.url;
  }
}
