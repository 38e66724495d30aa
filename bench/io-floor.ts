/**
 * The raw I/O floor of a tick: the very DynamoDB and SQS requests that ticks made, recorded per tick by an
 * SDK middleware and replayed later without the engine. A replay sends each recorded request in the
 * tick's order and with the tick's items, so item sizes, audit-event counts, the lock release of a
 * terminal tick and the ticks that schedule nothing all weigh as they did:
 *   GetItem (consistent)  → the same read, of the same rollout's state item
 *   TransactWriteItems    → the same items (state and audit events, byte for byte apart from the sort key),
 *                            each written under a fresh `FLOOR#…` sort key with a condition, so nothing the
 *                            engine reads is touched and every item is still a conditional write
 *   SendMessage           → the same body and delay, to a queue no consumer reads (on the same server)
 * Any other request a tick makes fails the replay, so a new kind of call cannot silently leave the floor.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  DynamoDBClient, GetItemCommand, TransactWriteItemsCommand, type GetItemCommandInput, type TransactWriteItem,
  type TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, type SendMessageCommandInput, type SQSClient } from '@aws-sdk/client-sqs';
import { percentile, round } from './stats.js';

/** One request a tick sent; `ms` is how long the tick waited for its answer. */
export type IoCall = { ms: number } & (
  | { op: 'DynamoDB.GetItem'; input: GetItemCommandInput }
  | { op: 'DynamoDB.TransactWriteItems'; input: TransactWriteItemsCommandInput }
  | { op: 'SQS.SendMessage'; input: SendMessageCommandInput }
  | { op: string; input: unknown });

const recording = new AsyncLocalStorage<IoCall[]>();

/** Adds the recorder to a client: every request sent inside `recordIo(calls, …)` is appended to `calls`. */
export function addIoRecorder(client: DynamoDBClient | SQSClient, service: 'DynamoDB' | 'SQS'): void {
  const recorder = <A extends { input: unknown }, R>(next: (args: A) => Promise<R>, context: { commandName?: string }) => async (args: A): Promise<R> => {
    const calls = recording.getStore();
    if (!calls) return next(args);
    const call: IoCall = { op: `${service}.${String(context.commandName).replace(/Command$/, '')}`, input: structuredClone(args.input), ms: 0 };
    calls.push(call);
    const t0 = performance.now();
    try { return await next(args); } finally { call.ms = performance.now() - t0; }
  };
  const options = { step: 'initialize', name: 'codedanceIoRecorder' } as const;
  if (client instanceof DynamoDBClient) client.middlewareStack.add(recorder, options);
  else client.middlewareStack.add(recorder, options);
}

/** Runs `work`, appending every request it sends through a recording client to `calls`. */
export const recordIo = <T>(calls: IoCall[], work: () => Promise<T>): Promise<T> => recording.run(calls, work);

/** Replays one tick's requests, in order, on `clients`; `tag` keeps the written keys unique. Returns ms. */
export async function replayTickIo(clients: { dynamo: DynamoDBClient; sqs: SQSClient }, calls: IoCall[], floorQueueUrl: string, tag: string): Promise<number> {
  // Outside any recording: a floor started from inside a tick must not count as that tick's I/O.
  return recording.exit(async () => {
    const t0 = performance.now();
    for (const [index, call] of calls.entries()) {
      if (isGet(call)) await clients.dynamo.send(new GetItemCommand(call.input));
      else if (isTransact(call)) await clients.dynamo.send(new TransactWriteItemsCommand({ TransactItems: (call.input.TransactItems ?? []).map((t, i) => toFloorItem(t, `${tag}#${index}#${i}`)) }));
      else if (isSend(call)) await clients.sqs.send(new SendMessageCommand({ ...call.input, QueueUrl: floorQueueUrl }));
      else throw new Error(`floor replay: a tick sent ${call.op}, which the floor does not know how to replay; teach bench/io-floor.ts`);
    }
    return performance.now() - t0;
  });
}

/** A summary of recorded ticks: requests per tick, items per transaction, and how long each tick waited on its requests. */
export function describeIo(ticks: IoCall[][]): { requestsPerTick: Record<string, number>; itemsPerTransaction: number; waitedMs: { p50: number; p99: number } } {
  const counts: Record<string, number> = {};
  let items = 0;
  let transactions = 0;
  for (const call of ticks.flat()) {
    counts[call.op] = (counts[call.op] ?? 0) + 1;
    if (isTransact(call)) { transactions++; items += call.input.TransactItems?.length ?? 0; }
  }
  const per = (n: number) => Math.round((n / Math.max(1, ticks.length)) * 100) / 100;
  const waited = ticks.map((calls) => calls.reduce((sum, c) => sum + c.ms, 0));
  return { waitedMs: { p50: round(percentile(waited, 50)), p99: round(percentile(waited, 99)) }, requestsPerTick: Object.fromEntries(Object.entries(counts).sort().map(([k, v]) => [k, per(v)])), itemsPerTransaction: Math.round((items / Math.max(1, transactions)) * 100) / 100 };
}

const isGet = (c: IoCall): c is IoCall & { op: 'DynamoDB.GetItem'; input: GetItemCommandInput } => c.op === 'DynamoDB.GetItem';
const isTransact = (c: IoCall): c is IoCall & { op: 'DynamoDB.TransactWriteItems'; input: TransactWriteItemsCommandInput } => c.op === 'DynamoDB.TransactWriteItems';
const isSend = (c: IoCall): c is IoCall & { op: 'SQS.SendMessage'; input: SendMessageCommandInput } => c.op === 'SQS.SendMessage';

/** The same item under a fresh sort key, written only if absent (a Delete becomes a conditional delete of an absent key). */
function toFloorItem(t: TransactWriteItem, tag: string): TransactWriteItem {
  const sk = { S: `FLOOR#${tag}` };
  if (t.Put) return { Put: { TableName: t.Put.TableName, Item: { ...t.Put.Item, sk }, ConditionExpression: 'attribute_not_exists(pk)' } };
  if (t.Delete) return { Delete: { TableName: t.Delete.TableName, Key: { ...t.Delete.Key, sk }, ConditionExpression: 'attribute_not_exists(pk)' } };
  throw new Error('floor replay: a tick transaction held an Update or ConditionCheck; teach bench/io-floor.ts');
}
