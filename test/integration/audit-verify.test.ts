import { DeleteItemCommand, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localDynamoDb } from '../../infra/local/aws/clients.js';
import { handler as verifyHandler } from '../../functions/http/verify-rollout-events.js';
import { eventKey } from '../../lib/adapters/dynamodb/items.js';
import { startRollout } from '../../lib/app/start-rollout.js';
import type { RolloutState } from '../../lib/domain/state.js';
import { documentWith, exampleDocument } from '../support/fixtures.js';
import { startEngineHarness, waitUntil, type EngineHarness } from '../support/engine-harness.js';

const context = { awsRequestId: 'test', functionName: 'test', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
const api = { id: 'auditor', via: 'api' } as const;

/** GET /rollouts/{id}/events/verify through the real handler (auth, routing, error mapping). */
async function verify(id: string): Promise<{ status: number; body: unknown }> {
  const event = {
    rawPath: `/rollouts/${id}/events/verify`, pathParameters: { id }, headers: { authorization: 'Bearer integration-token-0123456789' },
    requestContext: { http: { method: 'GET' } },
  } as unknown as APIGatewayProxyEventV2;
  const out = await verifyHandler(event, context);
  return { status: out.statusCode ?? 0, body: JSON.parse(String(out.body)) };
}

describe('audit trail: complete records and a verifiable hash chain', () => {
  let engine: EngineHarness;
  const done: RolloutState[] = [];

  beforeAll(async () => {
    engine = await startEngineHarness({ timeFactor: 120 });
    await engine.startPollers();
    const finished = (id: string) => async () => {
      const state = await engine.store.get(id);
      return state && (state.phase === 'Completed' || state.phase === 'Failed') ? state : undefined;
    };
    const [a, b, c] = await Promise.all([
      startRollout(engine.deps, { document: exampleDocument('myapp'), actor: api }),
      startRollout(engine.deps, { document: documentWith({ targetDeployment: 'other' }, { name: 'other' }), actor: api }),
      startRollout(engine.deps, { document: documentWith({ targetDeployment: 'third' }, { name: 'third' }), actor: api }),
    ]);
    done.push(
      await waitUntil('myapp to finish', finished(a.id), 90_000),
      await waitUntil('other to finish', finished(b.id), 90_000),
      await waitUntil('third to finish', finished(c.id), 90_000),
    );
  });
  afterAll(async () => engine?.stop());

  const table = () => localDynamoDb(inject('aws').dynamodbEndpoint);

  it('every event records actor, time, inputs and outcome', async () => {
    const events = await engine.store.events(done[0]!.id);
    expect(events.length).toBeGreaterThan(5);
    for (const e of events) {
      expect(e.actor.id, `${e.type} actor`).not.toBe('');
      expect(Number.isNaN(Date.parse(e.at)), `${e.type} time`).toBe(false);
      expect(e.message, `${e.type} outcome`).not.toBe('');
    }
    // Inputs: what each decision was based on.
    const withoutInputs = events.filter((e) => e.data === undefined || Object.keys(e.data).length === 0).map((e) => e.type);
    expect(withoutInputs).toEqual([]);
    expect(events.find((e) => e.type === 'RolloutStarted')?.actor).toEqual(api);
  });

  it('a finished rollout verifies', async () => {
    const count = (await engine.store.events(done[0]!.id)).length;
    expect(await verify(done[0]!.id)).toEqual({ status: 200, body: { valid: true, count } });
  });

  it('an edited event is reported at its position', async () => {
    // Prepare: rewrite the outcome of event 3 in place, as someone with table access could.
    const id = done[0]!.id;
    const client = table();
    const stored = await client.send(new GetItemCommand({ TableName: engine.resources.tableName, Key: eventKey(id, 3) }));
    const body = JSON.parse(stored.Item?.body?.S ?? '{}') as Record<string, unknown>;
    await client.send(new UpdateItemCommand({
      TableName: engine.resources.tableName, Key: eventKey(id, 3), UpdateExpression: 'SET body = :b',
      ExpressionAttributeValues: { ':b': { S: JSON.stringify({ ...body, message: 'nothing to see here' }) } },
    }));
    client.destroy();
    // Act
    const result = await verify(id);
    // Assess
    expect(result).toEqual({ status: 200, body: { valid: false, position: 3, problem: expect.stringContaining('edited') } });
  });

  it('an event edited into garbage is reported at its position, not a 500', async () => {
    // Prepare: a rollout of its own, then overwrite event 2's body with something that is not an event.
    const id = done[2]!.id;
    const client = table();
    await client.send(new UpdateItemCommand({
      TableName: engine.resources.tableName, Key: eventKey(id, 2), UpdateExpression: 'SET body = :b',
      ExpressionAttributeValues: { ':b': { S: '{"not":"an event"' } },
    }));
    client.destroy();
    // Act
    const result = await verify(id);
    // Assess
    expect(result).toMatchObject({ status: 200, body: { valid: false, position: 2 } });
    expect((await engine.store.events(id)).find((e) => e.position === 2)?.type).toBe('Unreadable');
  });

  it('a deleted event is reported as a gap, even the last one', async () => {
    // Prepare
    const id = done[1]!.id;
    const last = (await engine.store.events(id)).length;
    const client = table();
    const remove = (position: number) => client.send(new DeleteItemCommand({ TableName: engine.resources.tableName, Key: eventKey(id, position) }));
    // Act: the last event alone leaves an intact chain; only the rollout's recorded head shows the loss.
    await remove(last);
    const truncated = await verify(id);
    await remove(4);
    const gap = await verify(id);
    client.destroy();
    // Assess
    expect(truncated).toEqual({ status: 200, body: { valid: false, position: last, problem: expect.stringContaining('missing') } });
    expect(gap).toEqual({ status: 200, body: { valid: false, position: 4, problem: expect.stringContaining('missing') } });
  });

  it('404 for an unknown rollout', async () => {
    expect((await verify('ro_doesnotexist')).status).toBe(404);
  });
});
