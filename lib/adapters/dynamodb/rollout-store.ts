import {
  DynamoDBClient, GetItemCommand, QueryCommand, TransactWriteItemsCommand, TransactionCanceledException,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { chainEvents } from '../../domain/audit-chain.js';
import type { AuditEventDraft } from '../../domain/commands.js';
import { isTerminal } from '../../domain/phases.js';
import { targetKey, type RolloutState } from '../../domain/state.js';
import { ActiveRolloutExistsError, ConcurrentUpdateError } from '../../app/errors.js';
import type { AuditEvent, AuditLog, Page, RolloutFilter, RolloutStore } from '../../ports/rollout-store.js';
import { ACTIVE_SHARD, LIST_PK, fromItem, lockKey, rolloutKey, toItem, type Item } from './items.js';
import { headAfter, putEventItem, readEventStream } from './event-stream.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { dynamo, dynamoFault } from './errors.js';

/** RolloutStore and AuditLog on one DynamoDB table; see items.ts for the layout. */
export class DynamoRolloutStore implements RolloutStore, AuditLog {
  constructor(private readonly client: DynamoDBClient, private readonly table: string) {}

  async create(state: RolloutState, drafts: AuditEventDraft[]): Promise<RolloutState> {
    const events = chainEvents(state.id, state.auditHead, drafts);
    const stored = { ...state, auditHead: headAfter(state.auditHead, events) };
    const target = targetKey(state.spec);
    const items: TransactWriteItem[] = [
      { Put: { TableName: this.table, Item: toItem(stored), ConditionExpression: 'attribute_not_exists(pk)' } },
      // The lock item makes "one active rollout per target" a database guarantee, not a check-then-act race.
      { Put: { TableName: this.table, Item: { ...lockKey(target), rolloutId: { S: state.id } }, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
      ...events.map((e) => this.putEvent(e)),
    ];
    try {
      await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
    } catch (error) {
      const reasons = error instanceof TransactionCanceledException ? error.CancellationReasons ?? [] : [];
      const lock = reasons[1];
      if (lock?.Code === 'ConditionalCheckFailed') throw new ActiveRolloutExistsError(target, lock.Item?.rolloutId?.S ?? 'unknown');
      if (reasons[0]?.Code === 'ConditionalCheckFailed') throw new ConcurrentUpdateError(state.id, { cause: error });
      throw dynamoFault(error);
    }
    return stored;
  }

  async get(id: string): Promise<RolloutState | undefined> {
    const out = await dynamo(() => this.client.send(new GetItemCommand({ TableName: this.table, Key: rolloutKey(id), ConsistentRead: true })));
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async save(state: RolloutState, expectedVersion: number, drafts: AuditEventDraft[]): Promise<RolloutState> {
    const events = chainEvents(state.id, state.auditHead, drafts);
    const stored = { ...state, auditHead: headAfter(state.auditHead, events) };
    const items: TransactWriteItem[] = [
      {
        Put: {
          TableName: this.table, Item: toItem(stored),
          ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } },
        },
      },
      ...events.map((e) => this.putEvent(e)),
    ];
    if (isTerminal(state.phase)) {
      // Releasing the target in the same transaction as the terminal state: never a free target
      // with an active rollout, never a finished rollout still holding its target.
      items.push({ Delete: { TableName: this.table, Key: lockKey(targetKey(state.spec)), ConditionExpression: 'attribute_not_exists(pk) OR rolloutId = :id', ExpressionAttributeValues: { ':id': { S: state.id } } } });
    }
    try {
      await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
    } catch (error) {
      const reasons = error instanceof TransactionCanceledException ? error.CancellationReasons ?? [] : [];
      if (reasons.some((r) => r.Code === 'ConditionalCheckFailed') || reasons.some((r) => r.Code === 'TransactionConflict')) {
        throw new ConcurrentUpdateError(state.id, { cause: error });
      }
      throw dynamoFault(error);
    }
    return stored;
  }

  async list(filter: RolloutFilter): Promise<Page<RolloutState>> {
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 200);
    const conditions: string[] = [];
    const values: Item = { ':pk': { S: LIST_PK } };
    const names: Record<string, string> = {};
    for (const field of ['phase', 'cluster', 'namespace'] as const) {
      const wanted = filter[field];
      if (wanted === undefined) continue;
      conditions.push(`#${field} = :${field}`);
      names[`#${field}`] = field;
      values[`:${field}`] = { S: wanted };
    }
    const items: RolloutState[] = [];
    let start = filter.cursor ? decodeCursor(filter.cursor, LIST_PK) : undefined;
    do {
      const out = await dynamo(() => this.client.send(new QueryCommand({
        TableName: this.table, IndexName: 'byCreated', KeyConditionExpression: 'listPk = :pk', ScanIndexForward: false,
        ExpressionAttributeValues: values, ...(conditions.length ? { FilterExpression: conditions.join(' AND '), ExpressionAttributeNames: names } : {}),
        Limit: limit - items.length, ExclusiveStartKey: start,
      })));
      for (const item of out.Items ?? []) items.push(fromItem(item));
      start = out.LastEvaluatedKey;
    } while (start && items.length < limit);
    return { items, ...(start ? { nextCursor: encodeCursor(start) } : {}) };
  }

  async listOverdue(before: Date, limit: number): Promise<RolloutState[]> {
    const out = await dynamo(() => this.client.send(new QueryCommand({
      TableName: this.table, IndexName: 'byDue', KeyConditionExpression: 'dueShard = :shard AND dueAt < :before',
      ExpressionAttributeValues: { ':shard': { S: ACTIVE_SHARD }, ':before': { S: before.toISOString() } }, Limit: limit,
    })));
    // The index is eventually consistent; the sweeper only enqueues, and the tick re-reads consistently.
    return (out.Items ?? []).map(fromItem);
  }

  async events(rolloutId: string): Promise<AuditEvent[]> {
    return dynamo(() => readEventStream(this.client, this.table, `R#${rolloutId}`, rolloutId));
  }

  private putEvent(event: AuditEvent): TransactWriteItem {
    return putEventItem(this.table, `R#${event.rolloutId}`, event);
  }
}
