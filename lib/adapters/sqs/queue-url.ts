import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * A queue's URL: the configured one, or looked up by name once per container. A failed lookup is
 * not cached, so the next call tries again instead of failing for the container's lifetime.
 */
export function queueUrlResolver(client: SQSClient, queue: { url?: string; name?: string }): () => Promise<string> {
  let pending: Promise<string> | undefined;
  return () => {
    if (queue.url) return Promise.resolve(queue.url);
    pending ??= client.send(new GetQueueUrlCommand({ QueueName: queue.name })).then((out) => {
      if (!out.QueueUrl) throw new Error(`queue ${queue.name} has no URL`);
      return out.QueueUrl;
    });
    pending.catch(() => { pending = undefined; });
    return pending;
  };
}
