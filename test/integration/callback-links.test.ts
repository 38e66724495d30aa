import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/http/callback.js';
import { startRollout } from '../../lib/app/start-rollout.js';
import { issueCallbackToken } from '../../lib/http/callback-token.js';
import type { RolloutState } from '../../lib/domain/state.js';
import { documentWith } from '../support/fixtures.js';
import { startEngineHarness, waitUntil, type EngineHarness } from '../support/engine-harness.js';

/** Signed, expiring, single-use callback links, through the real handler on DynamoDB Local and SQS. */
const SECRET = 'integration-callback-secret-0123456789';
const api = { id: 'tester', via: 'api' } as const;
let engine: EngineHarness;

const press = async (token: string) => {
  const event = { pathParameters: { token }, headers: {}, body: '', isBase64Encoded: false } as unknown as APIGatewayProxyEventV2;
  const result = await handler(event, { awsRequestId: 'test' } as Context);
  return { status: result.statusCode, body: JSON.parse(result.body ?? '{}') as Record<string, any> };
};

describe('callback links', () => {
  beforeAll(async () => {
    engine = await startEngineHarness({ timeFactor: 1 });
    await engine.startPollers();
  });
  afterAll(async () => engine?.stop());

  it('approves once; a replay, a forged and an expired link are refused and change nothing', async () => {
    const doc = documentWith({ targetDeployment: 'linked', strategy: { type: 'Manual', steps: [{ weight: 40, pause: '1h' }, { weight: 100 }] } }, { name: 'linked' });
    const started = await startRollout(engine.deps, { document: doc, actor: api });
    const waiting = await waitUntil('the first gate', async () => {
      const s = await engine.store.get(started.id);
      return s?.pause?.reason === 'AwaitingApproval' ? s : undefined;
    }, 30_000);
    const now = new Date();
    const link = issueCallbackToken(SECRET, { r: started.id, g: 0, a: 'approve' }, now, 600);

    const forged = await press(issueCallbackToken('some-other-secret-0123456789', { r: started.id, g: 0, a: 'approve' }, now));
    expect(forged.status).toBe(401);
    const expired = await press(issueCallbackToken(SECRET, { r: started.id, g: 0, a: 'approve' }, new Date(now.getTime() - 7_200_000), 60));
    expect(expired.status).toBe(401);
    expect((await engine.store.get(started.id))?.version).toBe(waiting.version);

    const first = await press(link);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ phase: 'Progressing', canaryWeight: 40 });
    const replay = await press(link);
    expect(replay.status).toBe(409);
    expect(replay.body.error.message).toMatch(/already used/);
    const state = (await engine.store.get(started.id)) as RolloutState;
    expect(state.approvals).toHaveLength(1);
    expect(state.approvals[0]?.actor.via).toBe('webhook');
  });
});
