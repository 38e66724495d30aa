import {
  DynamoDBClient, GetItemCommand, QueryCommand, TransactWriteItemsCommand, TransactionCanceledException, type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { chainEvents } from '../../domain/audit-chain.js';
import type { AuditEventDraft } from '../../domain/commands.js';
import { isReleaseTerminal, normaliseRelease, releaseStatusSchema, type ReleaseState } from '../../domain/release.js';
import { releaseDocumentSchema } from '../../domain/release-schema.js';
import { ConcurrentUpdateError } from '../../app/errors.js';
import type { ReleaseAuditLog, ReleaseFilter, ReleaseStore } from '../../ports/release-store.js';
import type { AuditEvent, Page } from '../../ports/rollout-store.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { headAfter, putEventItem, readEventStream } from './event-stream.js';
import type { Item } from './items.js';
import { dynamo, dynamoFault } from './errors.js';

/**
 * Releases on the rollouts' table:
 *   L#<id> / STATE         the release: status and document as JSON
 *   L#<id> / E#<position>  its audit events
 * GSI byCreated (listPk RELEASE): every release, newest first. GSI byDue (dueShard RELEASE): only active
 * releases carry it — the scheduler's work list, kept apart from the sweeper's rollouts (shard ACTIVE).
 */
const LIST_PK = 'RELEASE';
const ACTIVE_SHARD = 'RELEASE';
const partition = (id: string): string => `L#${id}`;
const stateKey = (id: string): Item => ({ pk: { S: partition(id) }, sk: { S: 'STATE' } });

function toItem(state: ReleaseState): Item {
  const { plan: _plan, document, ...status } = state;
  return {
    ...stateKey(state.id),
    version: { N: String(state.version) },
    phase: { S: state.phase },
    name: { S: state.plan.name },
    status: { S: JSON.stringify(status) },
    document: { S: JSON.stringify(document) },
    listPk: { S: LIST_PK },
    createdKey: { S: `${state.createdAt}#${state.id}` },
    ...(isReleaseTerminal(state.phase) ? {} : { dueShard: { S: ACTIVE_SHARD }, dueAt: { S: state.createdAt } }),
  };
}

function fromItem(item: Item): ReleaseState {
  const status = releaseStatusSchema.parse(JSON.parse(item.status?.S ?? 'null'));
  const document = releaseDocumentSchema.parse(JSON.parse(item.document?.S ?? 'null'));
  return { ...status, document, plan: normaliseRelease(document) };
}

export class DynamoReleaseStore implements ReleaseStore, ReleaseAuditLog {
  constructor(private readonly client: DynamoDBClient, private readonly table: string) {}

  create(state: ReleaseState, drafts: AuditEventDraft[]): Promise<ReleaseState> {
    return this.write(state, drafts, { ConditionExpression: 'attribute_not_exists(pk)' });
  }

  async get(id: string): Promise<ReleaseState | undefined> {
    const out = await dynamo(() => this.client.send(new GetItemCommand({ TableName: this.table, Key: stateKey(id), ConsistentRead: true })));
    return out.Item ? fromItem(out.Item) : undefined;
  }

  save(state: ReleaseState, expectedVersion: number, drafts: AuditEventDraft[]): Promise<ReleaseState> {
    return this.write(state, drafts, { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } } });
  }

  async list(filter: ReleaseFilter): Promise<Page<ReleaseState>> {
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 200);
    const items: ReleaseState[] = [];
    let start = filter.cursor ? decodeCursor(filter.cursor, LIST_PK) : undefined;
    do {
      const out = await dynamo(() => this.client.send(new QueryCommand({
        TableName: this.table, IndexName: 'byCreated', KeyConditionExpression: 'listPk = :pk', ScanIndexForward: false,
        ExpressionAttributeValues: { ':pk': { S: LIST_PK }, ...(filter.phase ? { ':phase': { S: filter.phase } } : {}) },
        ...(filter.phase ? { FilterExpression: '#phase = :phase', ExpressionAttributeNames: { '#phase': 'phase' } } : {}),
        Limit: limit - items.length, ExclusiveStartKey: start,
      })));
      for (const item of out.Items ?? []) items.push(fromItem(item));
      start = out.LastEvaluatedKey;
    } while (start && items.length < limit);
    return { items, ...(start ? { nextCursor: encodeCursor(start) } : {}) };
  }

  async listActive(limit: number): Promise<ReleaseState[]> {
    const out = await dynamo(() => this.client.send(new QueryCommand({
      TableName: this.table, IndexName: 'byDue', KeyConditionExpression: 'dueShard = :shard',
      ExpressionAttributeValues: { ':shard': { S: ACTIVE_SHARD } }, Limit: limit,
    })));
    // The index is eventually consistent; each release is re-read consistently before it is planned.
    return (out.Items ?? []).map(fromItem);
  }

  releaseEvents(releaseId: string): Promise<AuditEvent[]> {
    return dynamo(() => readEventStream(this.client, this.table, partition(releaseId), releaseId));
  }

  private async write(state: ReleaseState, drafts: AuditEventDraft[], condition: Pick<NonNullable<TransactWriteItem['Put']>, 'ConditionExpression' | 'ExpressionAttributeValues'>): Promise<ReleaseState> {
    const events = chainEvents(state.id, state.auditHead, drafts);
    const stored = { ...state, auditHead: headAfter(state.auditHead, events) };
    try {
      await this.client.send(new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: this.table, Item: toItem(stored), ...condition } },
          ...events.map((e) => putEventItem(this.table, partition(state.id), e)),
        ],
      }));
    } catch (error) {
      const reasons = error instanceof TransactionCanceledException ? error.CancellationReasons ?? [] : [];
      if (reasons.some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict')) throw new ConcurrentUpdateError(state.id, { cause: error });
      throw dynamoFault(error);
    }
    return stored;
  }
}
