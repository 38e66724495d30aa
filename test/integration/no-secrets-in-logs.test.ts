import { format } from 'node:util';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClusterRegistry } from '../../lib/adapters/kubernetes/registry.js';
import { issueCallbackToken } from '../../lib/http/callback-token.js';
import { slackSignature } from '../../lib/http/slack-signature.js';
import { handler as createRollout } from '../../functions/http/create-rollout.js';
import { handler as getRollout } from '../../functions/http/get-rollout.js';
import { handler as getRolloutEvents } from '../../functions/http/get-rollout-events.js';
import { handler as actOnRollout } from '../../functions/http/act-on-rollout.js';
import { handler as callback } from '../../functions/http/callback.js';
import { handler as slackInteractions } from '../../functions/http/slack-interactions.js';
import { startEngineHarness, waitUntil, type EngineHarness } from '../support/engine-harness.js';

/**
 * Every line the engine logs and every API answer, captured while a rollout starts, is acted on, meets
 * a bad token, a forged Slack request, callbacks, and a cluster that refuses connections (its bearer
 * token configured) and one whose token cannot be resolved. No configured secret may appear anywhere.
 */
const SECRETS = {
  adminToken: 'secret-admin-token-6c1f0e9a2b7d',
  viewerToken: 'secret-viewer-token-93aa41c0d5e2',
  slackSigningSecret: 'secret-slack-signing-8e2b44f1a9c7',
  slackBotToken: 'xoxb-secret-bot-token-55d0c3e1b7a2',
  kubeToken: 'secret-kube-bearer-token-0f4e9d7c2a1b',
  tokenSecretValue: 'secret-ssm-cluster-token-7b3c1e0d9f8a',
};
let callbackSecret = '';

type Result = { statusCode: number; body?: string; headers?: Record<string, string> };
type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<Result>;
const context = { awsRequestId: 'no-secrets', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

const captured: string[] = [];
const responses: string[] = [];

async function call(handler: unknown, req: { path?: Record<string, string>; headers?: Record<string, string>; body?: string }): Promise<Result> {
  const event = {
    version: '2.0', rawPath: '/', rawQueryString: '', isBase64Encoded: false,
    headers: { 'content-type': 'application/json', ...req.headers }, pathParameters: req.path ?? {}, ...(req.body !== undefined ? { body: req.body } : {}),
    requestContext: { http: { method: 'POST', path: '/' }, requestId: 'no-secrets' },
  } as unknown as APIGatewayProxyEventV2;
  const result = await (handler as Handler)(event, context);
  responses.push(JSON.stringify(result));
  return result;
}
const admin = { authorization: `Bearer ${SECRETS.adminToken}` };

describe('no secret in any log line or API response', () => {
  let harness: EngineHarness;
  const saved = process.env.CODEDANCE_LOG_LEVEL;

  beforeAll(async () => {
    // Everything the engine writes: lib/log.ts goes through console.*, anything else through the streams.
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => { captured.push(format(...args)); });
    }
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream);
      vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
        captured.push(String(chunk));
        return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write);
    }
    process.env.CODEDANCE_LOG_LEVEL = 'debug';
    Object.assign(process.env, {
      CODEDANCE_API_TOKENS: JSON.stringify([{ name: 'ops', token: SECRETS.adminToken, role: 'admin' }, { name: 'watcher', token: SECRETS.viewerToken, role: 'viewer' }]),
      CODEDANCE_SLACK_SIGNING_SECRET: SECRETS.slackSigningSecret, CODEDANCE_SLACK_BOT_TOKEN: SECRETS.slackBotToken,
      CODEDANCE_SLACK_API_URL: 'http://127.0.0.1:9/api', CODEDANCE_OUTBOUND_ALLOWLIST: '127.0.0.1',
    });
    // Real Kubernetes adapters: one cluster with a bearer token whose apiserver refuses connections,
    // one whose token lives in a secret store that fails (the error must name the secret, not a value).
    const clusters = createClusterRegistry([
      { name: 'default', timeoutMs: 2000, token: { server: 'https://127.0.0.1:9', token: SECRETS.kubeToken } },
      { name: 'vaulted', timeoutMs: 2000, token: { server: 'https://127.0.0.1:9', tokenSecret: '/codedance/test/cluster-token' } },
    ], async (name) => { if (name === '/codedance/test/cluster-token') throw new Error(`AccessDenied reading ${name}`); return SECRETS.tokenSecretValue; });
    harness = await startEngineHarness({ clusters, maxReceiveCount: 2, visibilityTimeoutSeconds: 1 });
    callbackSecret = process.env.CODEDANCE_CALLBACK_SECRET ?? '';
    await harness.startPollers();
  }, 120_000);

  afterAll(async () => {
    await harness?.stop();
    vi.restoreAllMocks();
    if (saved === undefined) delete process.env.CODEDANCE_LOG_LEVEL;
    else process.env.CODEDANCE_LOG_LEVEL = saved;
  });

  it('keeps every secret out of logs and answers through a whole run', async () => {
    const document = (target: string, cluster: string) => JSON.stringify({
      apiVersion: 'deploy.codedance.io/v1alpha1', kind: 'CanaryDeployment', metadata: { name: target, namespace: 'production' },
      spec: { targetDeployment: target, canaryVersion: `${target}:v2`, cluster, strategy: { type: 'Manual' } },
    });
    // A rollout on each broken cluster; their ticks fail against the cluster and end in the DLQ.
    const started = await call(createRollout, { headers: admin, body: document(`leak-a-${Date.now()}`, 'default') });
    expect(started.statusCode, started.body).toBe(201);
    const id = (JSON.parse(started.body!) as { id: string }).id;
    const vaulted = await call(createRollout, { headers: admin, body: document(`leak-b-${Date.now()}`, 'vaulted') });
    expect(vaulted.statusCode, vaulted.body).toBe(201);
    const vaultedId = (JSON.parse(vaulted.body!) as { id: string }).id;

    // Actions: allowed, forbidden to a viewer, and with a wrong token.
    for (const action of ['pause', 'resume', 'approve']) await call(actOnRollout, { headers: admin, path: { id, action }, body: '{"comment":"from the test"}' });
    expect((await call(actOnRollout, { headers: { authorization: `Bearer ${SECRETS.viewerToken}` }, path: { id, action: 'abort' } })).statusCode).toBe(403);
    expect((await call(actOnRollout, { headers: { authorization: `Bearer ${SECRETS.adminToken}x` }, path: { id, action: 'abort' } })).statusCode).toBe(401);
    expect((await call(createRollout, { headers: { authorization: `Bearer ${SECRETS.viewerToken}` }, body: document('x', 'default') })).statusCode).toBe(403);

    // Slack: a forged signature, then a correctly signed press whose reply goes nowhere.
    const ts = String(Math.floor(Date.now() / 1000));
    const payload = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: 'U0TEST' }, response_url: 'http://127.0.0.1:9/respond', actions: [{ action_id: 'codedance_approve', value: JSON.stringify({ rolloutId: id, gate: 0 }) }] }))}`;
    expect((await call(slackInteractions, { headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': slackSignature('guessed', ts, payload) }, body: payload })).statusCode).toBe(401);
    const signed = await call(slackInteractions, { headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': slackSignature(SECRETS.slackSigningSecret, ts, payload) }, body: payload });
    expect(signed.statusCode).toBeLessThan(500);

    // Callbacks: a valid link (used twice) and a forged one.
    const link = issueCallbackToken(callbackSecret, { r: id, g: 0, a: 'approve' }, new Date());
    await call(callback, { path: { token: link } });
    await call(callback, { path: { token: link } });
    expect((await call(callback, { path: { token: `${link.split('.')[0]}.forged` } })).statusCode).toBe(401);

    // The ticks meet the broken clusters. The unreachable apiserver fails its first receive (logged), then
    // the tick is put back with backoff (logged) rather than dead-lettering a rollout whose cluster may
    // still hold its canary; the cluster whose token cannot be read is dead-lettered and given up on.
    await waitUntil('the unreachable cluster\'s tick deferred and the vaulted rollout failed', async () => {
      const deferred = harness.queue.sent.some((s) => s.message.rolloutId === id && (s.message.deferrals ?? 0) > 0);
      return deferred && (await harness.store.get(vaultedId))?.phase === 'Failed';
    }, 90_000, 500);
    for (const rolloutId of [id, vaultedId]) {
      await call(getRollout, { headers: admin, path: { id: rolloutId } });
      await call(getRolloutEvents, { headers: admin, path: { id: rolloutId } });
    }

    const logs = captured.join('\n');
    // The run really produced the lines that could leak: tick failures against both clusters.
    expect(logs).toMatch(/record failed/);
    expect(logs).toMatch(/tick deferred/);
    expect(logs).toMatch(/poison tick/);
    expect(logs).toContain('/codedance/test/cluster-token');
    expect(responses.length).toBeGreaterThan(15);
    const everything = `${logs}\n${responses.join('\n')}`;
    for (const [name, value] of Object.entries({ ...SECRETS, callbackSecret })) {
      expect(value.length, name).toBeGreaterThan(10);
      expect(everything.includes(value), `${name} appears in the captured output`).toBe(false);
    }
    // Nor the signing keys' derived values that would let someone forge: a full valid callback link is
    // only ever returned to whoever already holds it, never logged.
    expect(logs.includes(link)).toBe(false);
  }, 180_000);
});
