import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalApi, type LocalApi } from '../../infra/local/api-stack.js';
import { freePort } from '../../infra/local/child-processes.js';
import { seedDemoApp } from '../../infra/local/demo/seed.js';
import { startClusters, type LocalClusters } from '../../infra/local/kubernetes/launcher.js';
import { waitUntil } from '../support/engine-harness.js';
import { documentWith, exampleDocument } from '../support/fixtures.js';
import { startSlackStandIn, type PostedMessage, type SlackStandIn } from '../support/slack-stand-in.js';

/**
 * Slack approvals end to end on the real API stack (DynamoDB Local, local-aws-sqs, serverless-offline
 * running the real tick function) against a local Kubernetes cluster, with a local Slack stand-in
 * that receives the approval requests and sends signed button presses. No Prometheus: analyses are
 * inconclusive, so with `pause: 0s` steps only the approvals move a rollout.
 */
const SIGNING_SECRET = 'slack-signing-secret-for-tests-0123';
const BOT_TOKEN = 'xoxb-local-test-token';
const APPS = ['myapp', 'shop', 'cart', 'pay'];
let local: LocalClusters;
let api: LocalApi;
let slack: SlackStandIn;
/** The rollout (c) leaves waiting; (d) goes on with it. */
let cartId = '';
const output: string[] = [];

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${api.url}${path}`, {
    method, headers: { authorization: `Bearer ${api.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

/** examples/myapp.yaml as a Manual rollout whose steps wait only for approvals. */
function manual(app: string, slackSettings: Record<string, unknown> = {}): Record<string, unknown> {
  const base = exampleDocument('myapp') as { spec: { strategy: { steps: Array<Record<string, unknown>> } } };
  return documentWith({
    targetDeployment: app, canaryVersion: `${app}:v2`,
    strategy: { type: 'Manual', steps: base.spec.strategy.steps.map((s) => ({ ...s, pause: '0s' })) },
    analysis: { interval: '5s', inconclusiveLimit: 100_000 },
    approvals: { slack: { channel: '#deploys', ...slackSettings } },
  }, { name: app });
}

const rollout = async (id: string) => (await call('GET', `/rollouts/${id}`)).json;
const events = async (id: string): Promise<Array<{ type: string; actor: { id: string }; data?: { gate?: unknown } }>> => (await call('GET', `/rollouts/${id}/events`)).json.items;
const gateOf = (m: PostedMessage) => JSON.parse((m.blocks.find((b) => b.type === 'actions') as { elements: Array<{ value: string }> }).elements[0]!.value) as { rolloutId: string; gate: number | 'promotion' };
const requestFor = (id: string, gate: number) => waitUntil(`Slack request for ${id} gate ${gate}`, async () => slack.messages.find((m) => gateOf(m).rolloutId === id && gateOf(m).gate === gate), 90_000, 100);
const updatesOf = (m: PostedMessage) => slack.updates.filter((u) => u.ts === m.ts);
const finished = (id: string) => waitUntil(`${id} to finish`, async () => { const r = await rollout(id); return r.phase === 'Completed' || r.phase === 'Failed' ? r : undefined; }, 120_000, 250);

async function start(doc: Record<string, unknown>): Promise<string> {
  const created = await call('POST', '/rollouts', doc);
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  return created.json.id;
}

describe('Slack approvals over the real API stack', () => {
  beforeAll(async () => {
    local = await startClusters({ names: ['slack'] });
    const cluster = local.clusters[0]!;
    for (const app of APPS) await seedDemoApp({ kubeconfigPath: cluster.kubeconfigPath, namespace: 'production', app, image: `${app}:v1`, provider: 'istio' });
    slack = await startSlackStandIn({ engineUrl: () => api.url, signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN });
    const port = await freePort();
    api = await startLocalApi({
      port, stage: `slack${port}`, log: (line) => output.push(line), offlineOutput: (line) => output.push(line),
      env: {
        ...process.env,
        CODEDANCE_SLACK_SIGNING_SECRET: SIGNING_SECRET, CODEDANCE_SLACK_BOT_TOKEN: BOT_TOKEN,
        CODEDANCE_SLACK_API_URL: slack.apiUrl, CODEDANCE_OUTBOUND_ALLOWLIST: '127.0.0.1',
        CODEDANCE_CLUSTERS: JSON.stringify([{ name: 'default', kubeconfig: { path: cluster.engineKubeconfigPath } }]),
      },
    });
  }, 600_000);

  afterAll(async () => {
    await api?.stop();
    await slack?.stop();
    await local?.stop();
  }, 120_000);

  it('(a) a Manual rollout waits at every step and advances on each Approve from Slack; the audit trail names the approvers', async () => {
    const id = await start(manual('myapp'));
    for (const gate of [0, 1, 2]) {
      const message = await requestFor(id, gate);
      const waiting = await rollout(id);
      expect(waiting).toMatchObject({ phase: 'Paused', pause: { reason: 'AwaitingApproval', gate } });
      expect(message.channel).toBe('#deploys');
      expect(message.text).toContain(`step ${gate + 1}/3`);
      const pressed = await slack.press(message, 'approve', `UAPPROVER${gate}`);
      expect(pressed.status, pressed.text).toBe(200);
      expect(updatesOf(message)).toEqual([{ ts: message.ts, body: expect.objectContaining({ replace_original: true, text: expect.stringContaining(`Approved by <@UAPPROVER${gate}>`) }) }]);
    }
    const done = await finished(id);
    expect(done.phase).toBe('Completed');
    const approvals = (await events(id)).filter((e) => e.type === 'Approved');
    expect(approvals.map((e) => [e.actor.id, e.data?.gate])).toEqual([0, 1, 2].map((g) => [`slack:UAPPROVER${g} (uapprover${g})`, g]));
  });

  it('(b) a Reject from Slack rolls back: Failed, reason Rejected, weight 0', async () => {
    const id = await start(manual('shop'));
    expect((await slack.press(await requestFor(id, 0), 'approve', 'UANA')).status).toBe(200);
    const second = await requestFor(id, 1);
    expect((await rollout(id)).canaryWeight).toBe(10);
    expect((await slack.press(second, 'reject', 'UBOB')).status).toBe(200);
    const done = await finished(id);
    expect(done).toMatchObject({ phase: 'Failed', failure: { reason: 'Rejected' }, canaryWeight: 0 });
    expect(updatesOf(second)[0]?.body.text).toContain('Rejected by <@UBOB>');
    expect((await events(id)).find((e) => e.type === 'Rejected')?.actor.id).toBe('slack:UBOB (ubob)');
  });

  it('(c) a forged signature, a body altered after signing and a timestamp 6 minutes old get 401 and change nothing', async () => {
    const id = cartId = await start(manual('cart'));
    const message = await requestFor(id, 0);
    const before = await rollout(id);
    for (const signing of ['forged', 'altered', 'old'] as const) {
      const pressed = await slack.press(message, 'approve', 'UANA', { signing });
      expect(pressed.status, signing).toBe(401);
      expect(JSON.parse(pressed.text)).toMatchObject({ error: { code: 'Unauthorized' } });
    }
    const after = await rollout(id);
    expect([after.version, after.phase, after.approvals]).toEqual([before.version, 'Paused', []]);
    expect(updatesOf(message)).toEqual([]);
  });

  it('(d) a double click gives one approval; HTTP and Slack racing give exactly one', async () => {
    const id = cartId;
    const first = await requestFor(id, 0);
    const presses = await Promise.all([slack.press(first, 'approve', 'UANA'), slack.press(first, 'approve', 'UANA')]);
    expect(presses.map((p) => p.status)).toEqual([200, 200]);
    const texts = updatesOf(first).map((u) => String(u.body.text));
    expect(texts).toHaveLength(2);
    expect(texts.filter((t) => t.includes('already decided'))).toHaveLength(1);

    const second = await requestFor(id, 1);
    const [viaHttp, viaSlack] = await Promise.all([call('POST', `/rollouts/${id}/approve`, { step: 2, comment: 'from the API' }), slack.press(second, 'approve', 'UBOB')]);
    expect([viaHttp.status, viaSlack.status]).toEqual([200, 200]);
    const approved = (await events(id)).filter((e) => e.type === 'Approved');
    expect(approved.map((e) => e.data?.gate)).toEqual([0, 1]);
    const winner = approved[1]!.actor.id;
    expect(String(updatesOf(second)[0]?.body.text)).toContain(winner === 'local-admin' ? 'already decided' : 'Approved by <@UBOB>');
    await call('POST', `/rollouts/${id}/abort`, {});
  });

  it('(d) approve after reject updates the message with the 409 explanation; listed users and groups only', async () => {
    slack.groups.set('SRELEASE', ['URELEASER']);
    const id = await start(manual('pay', { allowedUsers: ['UBOSS'], allowedGroups: ['SRELEASE'] }));
    const message = await requestFor(id, 0);
    const version = (await rollout(id)).version;
    expect((await slack.press(message, 'approve', 'UINTRUDER')).status).toBe(200);
    expect(updatesOf(message)).toEqual([{ ts: message.ts, body: expect.objectContaining({ response_type: 'ephemeral', replace_original: false, text: expect.stringContaining('not allowed') }) }]);
    expect((await rollout(id)).version).toBe(version);

    expect((await slack.press(message, 'reject', 'URELEASER')).status).toBe(200);
    expect((await slack.press(message, 'approve', 'UBOSS')).status).toBe(200);
    const [rejected, conflict] = updatesOf(message).slice(1).map((u) => u.body);
    expect(rejected).toMatchObject({ replace_original: true, text: expect.stringContaining('Rejected by <@URELEASER>') });
    expect(conflict).toMatchObject({ replace_original: true, text: expect.stringMatching(/Cannot approve: rollout .* (is rolling back|has failed) \(Rejected: step 1\/3 rejected by slack:URELEASER/) });
    expect((await finished(id)).failure?.reason).toBe('Rejected');
    expect((await events(id)).filter((e) => e.type === 'Approved')).toEqual([]);
  });
});
