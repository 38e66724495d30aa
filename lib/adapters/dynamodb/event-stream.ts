import { QueryCommand, type DynamoDBClient, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { ChainedEvent } from '../../domain/audit-chain.js';
import { eventOrUnreadable, type Item } from './items.js';

/**
 * Audit trails (of rollouts `R#<id>` and of releases `L#<id>`) share one shape: `E#<position>` items
 * under the owner's partition, each holding one chained event.
 */
export async function readEventStream(client: DynamoDBClient, table: string, partition: string, streamId: string): Promise<ChainedEvent[]> {
  const events: ChainedEvent[] = [];
  let start: Item | undefined;
  do {
    const out = await client.send(new QueryCommand({
      TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)', ConsistentRead: true,
      ExpressionAttributeValues: { ':pk': { S: partition }, ':e': { S: 'E#' } }, ExclusiveStartKey: start,
    }));
    for (const item of out.Items ?? []) events.push(eventOrUnreadable(streamId, item));
    start = out.LastEvaluatedKey;
  } while (start);
  return events;
}

/** Append-only: an event position is written once and never overwritten. */
export function putEventItem(table: string, partition: string, event: ChainedEvent): TransactWriteItem {
  const item: Item = { pk: { S: partition }, sk: { S: `E#${String(event.position).padStart(10, '0')}` }, body: { S: JSON.stringify(event) } };
  return { Put: { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } };
}

export function headAfter(head: { count: number; hash: string }, events: ChainedEvent[]): { count: number; hash: string } {
  const last = events.at(-1);
  return last ? { count: last.position, hash: last.hash } : head;
}
