import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import type { ChainedEvent } from '../../domain/audit-chain.js';
import { isTerminal } from '../../domain/phases.js';
import { normaliseSpec } from '../../domain/spec.js';
import { canaryDeploymentSchema } from '../../domain/spec-schema.js';
import { rolloutStatusSchema, targetKey, type RolloutState } from '../../domain/state.js';

/**
 * Single-table layout (see infra/dynamodb-table.yml):
 *   R#<id>      / STATE        the rollout: status and document as JSON, plus indexed attributes
 *   R#<id>      / E#<position> one audit event each, append-only
 *   T#<target>  / LOCK         names the active rollout of a target (one at a time)
 * GSI byDue  (dueShard, dueAt):      only active rollouts carry these; the sweeper's index
 * GSI byCreated (listPk, createdKey): every rollout, newest first, for listing
 */
export type Item = Record<string, AttributeValue>;

export const rolloutKey = (id: string): Item => ({ pk: { S: `R#${id}` }, sk: { S: 'STATE' } });
export const lockKey = (target: string): Item => ({ pk: { S: `T#${target}` }, sk: { S: 'LOCK' } });
export const eventKey = (id: string, position: number): Item => ({ pk: { S: `R#${id}` }, sk: { S: `E#${String(position).padStart(10, '0')}` } });
export const ACTIVE_SHARD = 'ACTIVE';
export const LIST_PK = 'ROLLOUT';

const s = (item: Item, name: string): string => {
  const v = item[name]?.S;
  if (v === undefined) throw new TypeError(`stored item lacks string attribute ${name}`);
  return v;
};

export function toItem(state: RolloutState): Item {
  const { spec: _spec, document, ...status } = state;
  const item: Item = {
    ...rolloutKey(state.id),
    version: { N: String(state.version) },
    phase: { S: state.phase },
    cluster: { S: state.spec.cluster },
    namespace: { S: state.spec.namespace },
    name: { S: state.spec.name },
    target: { S: targetKey(state.spec) },
    status: { S: JSON.stringify(status) },
    document: { S: JSON.stringify(document) },
    listPk: { S: LIST_PK },
    createdKey: { S: `${state.createdAt}#${state.id}` },
  };
  if (!isTerminal(state.phase) && state.nextTickAt) {
    item.dueShard = { S: ACTIVE_SHARD };
    item.dueAt = { S: state.nextTickAt };
  }
  return item;
}

/** Reads are validated like any other edge: a corrupt item is an error, never a half-filled state. */
export function fromItem(item: Item): RolloutState {
  const status = rolloutStatusSchema.parse(JSON.parse(s(item, 'status')));
  const document = canaryDeploymentSchema.parse(JSON.parse(s(item, 'document')));
  return { ...status, document, spec: normaliseSpec(document) };
}

const storedEvent = z.object({
  type: z.string(),
  at: z.string(),
  actor: z.object({ id: z.string(), via: z.enum(['api', 'slack', 'webhook', 'engine', 'release', 'sweeper', 'cluster']) }),
  message: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
  rolloutId: z.string(),
  position: z.number().int(),
  prevHash: z.string(),
  hash: z.string(),
});

export function eventFromItem(item: Item): ChainedEvent {
  const parsed = storedEvent.parse(JSON.parse(s(item, 'body')));
  const { data, ...rest } = parsed;
  return data === undefined ? rest : { ...rest, data };
}

/**
 * An event item that no longer reads (its body was edited into something that is not an event) is
 * shown as what it is, at its position and with no hashes, instead of failing the whole trail: the
 * chain check then reports exactly where the tampering is.
 */
export function eventOrUnreadable(rolloutId: string, item: Item): ChainedEvent {
  try {
    return eventFromItem(item);
  } catch {
    const position = Number(/^E#(\d+)$/.exec(item.sk?.S ?? '')?.[1] ?? 0);
    return { type: 'Unreadable', at: '', actor: { id: 'unknown', via: 'engine' }, message: 'this stored event could not be read: it was altered', rolloutId, position, prevHash: '', hash: '' };
  }
}
