import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localSqs } from '../../infra/local/aws/clients.js';
import { createResourcesFromServerlessYml } from '../../infra/local/aws/resources.js';
import { startSqsPoller, type SqsPoller } from '../../infra/local/aws/sqs-poller.js';
import { handler as notifyHandler } from '../../functions/queue/notify.js';
import { handler as tickHandler } from '../../functions/queue/tick.js';
import { getDependencies, overrideDependencies, resetDependencies } from '../../functions/wiring.js';
import { dingTalkSign } from '../../lib/adapters/notifications/dingtalk.js';
import { destinationHash } from '../../lib/adapters/notifications/jobs.js';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../../lib/adapters/notifications/webhook.js';
import { startRollout } from '../../lib/app/start-rollout.js';
import { value } from '../../lib/domain/measurement.js';
import type { NotificationDestination } from '../../lib/domain/spec.js';
import type { RolloutState } from '../../lib/domain/state.js';
import { FakeMetrics } from '../support/fake-metrics.js';
import { documentWith } from '../support/fixtures.js';
import { startEngineHarness, waitUntil, type EngineHarness } from '../support/engine-harness.js';

/** A real receiver on 127.0.0.1: `mode` decides each answer; every 2xx it gives is recorded. */
class Receiver {
  readonly accepted: Array<{ key: string; url: string; headers: IncomingMessage['headers']; body: string; at: Date }> = [];
  requests = 0;
  private readonly server: Server;
  constructor(private readonly mode: (n: number) => 'ok' | 'fail' | 'hang', private readonly okBody = '{"ok":true}') {
    this.server = createServer((req, res) => void this.answer(req, res));
  }
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  keys(): string[] { return this.accepted.map((a) => a.key); }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const mode = this.mode(++this.requests);
    if (mode === 'hang') return; // never answers; the sender gives up after its timeout
    if (mode === 'fail') return void res.writeHead(500).end('overloaded');
    this.accepted.push({ key: String(req.headers['idempotency-key']), url: req.url ?? '', headers: req.headers, body, at: new Date() });
    res.writeHead(200, { 'content-type': 'application/json' }).end(this.okBody);
  }
}

const api = { id: 'tester', via: 'api' } as const;
const context = { awsRequestId: 'test', functionName: 'test', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
const SECRET_NAME = 'CODEDANCE_TEST_WEBHOOK_SECRET';
const DING_SECRET_NAME = 'CODEDANCE_TEST_DINGTALK_SECRET';
const ENV = [SECRET_NAME, DING_SECRET_NAME, 'CODEDANCE_NOTIFICATION_QUEUE_URL', 'CODEDANCE_NOTIFICATIONS', 'CODEDANCE_OUTBOUND_ALLOWLIST'];
/** Audit types that produce a notification for subscribers of every event. */
const NOTIFIED = new Set(['RolloutStarted', 'StepAdvanced', 'Paused', 'ApprovalRequested', 'RolledBack', 'Failed', 'Completed']);

describe('notifications: retried off the tick path, at most once per destination', () => {
  let engine: EngineHarness;
  let notificationQueueUrl: string;
  const pollers: SqsPoller[] = [];
  const ticks: Array<{ ms: number; failures: number }> = [];
  let hangUntil = Infinity;
  const flaky = new Receiver((n) => (n <= 3 ? 'fail' : 'ok'));
  const hanging = new Receiver(() => (Date.now() < hangUntil ? 'hang' : 'ok'));
  const robots = new Receiver(() => 'ok', '{"errcode":0,"errmsg":"ok"}');
  const urls: Record<'flaky' | 'hanging' | 'robots', string> = { flaky: '', hanging: '', robots: '' };
  const timings: Record<'plain' | 'notified', number> = { plain: 0, notified: 0 };
  const rollouts: RolloutState[] = [];

  const finished = (id: string) => async (): Promise<RolloutState | undefined> => {
    const state = await engine.store.get(id);
    return state && (state.phase === 'Completed' || state.phase === 'Failed') ? state : undefined;
  };
  const runRollout = async (doc: Record<string, unknown>): Promise<{ state: RolloutState; ms: number }> => {
    const began = Date.now();
    const started = await startRollout(getDependencies(), { document: doc, actor: api });
    const state = await waitUntil(`${started.spec.name} to finish`, finished(started.id), 90_000, 100);
    return { state, ms: Date.now() - began };
  };

  beforeAll(async () => {
    const { dynamodbEndpoint, sqsEndpoint } = inject('aws');
    [urls.flaky, urls.hanging, urls.robots] = await Promise.all([flaky.start(), hanging.start(), robots.start()]);
    // The notification queue as serverless.yml defines it, with a shorter backoff: 4 s apart, 10 attempts.
    const own = await createResourcesFromServerlessYml({ stage: 'test', dynamodbEndpoint, sqsEndpoint, suffix: `-n${randomBytes(4).toString('hex')}`, visibilityTimeoutSeconds: 4, maxReceiveCount: 10 });
    const sqs = localSqs(sqsEndpoint);
    notificationQueueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: `${own.tableName}-notifications` }))).QueueUrl ?? '';
    sqs.destroy();
    // 1 real second = 2 simulated minutes: myapp's pauses take about 8 s.
    engine = await startEngineHarness({ timeFactor: 120 });
    const timed = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      const began = Date.now();
      const out = await tickHandler(event, context);
      ticks.push({ ms: Date.now() - began, failures: out.batchItemFailures.length });
      return out;
    };
    pollers.push(await startSqsPoller({ queueUrl: engine.resources.tickQueueUrl, sqsEndpoint, deliver: timed, log: () => undefined }));
    pollers.push(await startSqsPoller({ queueUrl: notificationQueueUrl, sqsEndpoint, deliver: (e) => notifyHandler(e, context), log: () => undefined }));
  });

  afterAll(async () => {
    await Promise.all(pollers.map((p) => p.stop()));
    await engine?.stop();
    await Promise.all([flaky.stop(), hanging.stop(), robots.stop()]);
    for (const name of ENV) delete process.env[name];
  });

  it('baseline: a rollout without notification destinations', async () => {
    const { state, ms } = await runRollout(documentWith({ targetDeployment: 'plain' }, { name: 'plain' }));
    expect(state.phase).toBe('Completed');
    timings.plain = ms;
  });

  it('with a failing and a hanging destination, ticks take no longer and never fail', async () => {
    // Prepare: globals (DingTalk, WeCom) from the configuration, per-rollout webhook, Slack and a blocked host.
    Object.assign(process.env, {
      [SECRET_NAME]: 'whsec-integration', [DING_SECRET_NAME]: 'SEC-integration',
      CODEDANCE_NOTIFICATION_QUEUE_URL: notificationQueueUrl, CODEDANCE_OUTBOUND_ALLOWLIST: '127.0.0.1',
      CODEDANCE_NOTIFICATIONS: JSON.stringify([
        { type: 'dingtalk', url: `${urls.robots}/robot/send?access_token=t`, secret: DING_SECRET_NAME },
        { type: 'wecom', url: `${urls.robots}/cgi-bin/webhook/send?key=k` },
      ]),
    });
    const { clusters, metrics, clock, queue } = engine.deps;
    resetDependencies();
    overrideDependencies({ clusters, metrics, clock, queue });
    const notifications = [
      { type: 'webhook', url: `${urls.flaky}/hooks/codedance`, secret: SECRET_NAME },
      { type: 'slack', url: `${urls.hanging}/services/T0/B0/x` },
      { type: 'webhook', url: 'http://blocked.example.com/hook' },
    ];
    engine.metrics.set('faulty', { ...FakeMetrics.healthy(), errorRate: value(7), successRate: value(93) });
    hangUntil = Date.now() + 8_000;
    ticks.length = 0;
    // Act
    const [healthy, faulty] = await Promise.all([
      runRollout(documentWith({ targetDeployment: 'notified', notifications }, { name: 'notified' })),
      runRollout(documentWith({ targetDeployment: 'faulty', notifications }, { name: 'faulty' })),
    ]);
    timings.notified = healthy.ms;
    rollouts.push(healthy.state, faulty.state);
    // Assess
    expect(healthy.state.phase).toBe('Completed');
    expect(faulty.state.failure?.reason).toBe('MetricsFailed');
    expect(hanging.requests + flaky.requests).toBeGreaterThan(0);
    expect(ticks.every((t) => t.failures === 0)).toBe(true);
    // A hung destination costs 3 s per attempt; no tick may come near that.
    expect(Math.max(...ticks.map((t) => t.ms))).toBeLessThan(1000);
    expect(timings.notified).toBeLessThan(timings.plain * 1.5 + 2000);
    console.info(`rollout: ${timings.plain} ms plain, ${timings.notified} ms notified; ${ticks.length} tick batches, slowest ${Math.max(...ticks.map((t) => t.ms))} ms, median ${[...ticks].sort((a, b) => a.ms - b.ms)[Math.floor(ticks.length / 2)]?.ms} ms`);
  });

  it('every event arrives exactly once at each destination once it recovers', async () => {
    // Prepare: the keys each destination must receive, from the audit trails.
    const expectedFor = async (destination: Pick<NotificationDestination, 'type' | 'url'>): Promise<string[]> => {
      const keys = await Promise.all(rollouts.map(async (r) => (await engine.store.events(r.id)).filter((e) => NOTIFIED.has(e.type)).map((e) => `${r.id}:${e.position}:${destinationHash(destination)}`)));
      return keys.flat().sort();
    };
    const expected = {
      flaky: await expectedFor({ type: 'webhook', url: `${urls.flaky}/hooks/codedance` }),
      hanging: await expectedFor({ type: 'slack', url: `${urls.hanging}/services/T0/B0/x` }),
      ding: await expectedFor({ type: 'dingtalk', url: `${urls.robots}/robot/send?access_token=t` }),
      wecom: await expectedFor({ type: 'wecom', url: `${urls.robots}/cgi-bin/webhook/send?key=k` }),
    };
    expect(expected.flaky.length).toBe(5 + 3); // started, 3 steps, completed; started, 1 step, rolled back
    const robotKeys = (path: string): string[] => robots.accepted.filter((a) => a.url.startsWith(path)).map((a) => a.key);
    // Act: wait for the retries (4 s apart here) to get through.
    const began = Date.now();
    await waitUntil('every destination to have every event', async () => {
      const have = (keys: string[], want: string[]) => want.every((k) => keys.includes(k));
      return have(flaky.keys(), expected.flaky) && have(hanging.keys(), expected.hanging)
        && have(robotKeys('/robot/send'), expected.ding) && have(robotKeys('/cgi-bin/webhook/send'), expected.wecom);
    }, 90_000, 250).catch((error: unknown) => {
      const missing = (keys: string[], want: string[]) => want.filter((k) => !keys.includes(k));
      console.error(JSON.stringify({ flaky: missing(flaky.keys(), expected.flaky), hanging: missing(hanging.keys(), expected.hanging), ding: missing(robotKeys('/robot/send'), expected.ding), wecom: missing(robotKeys('/cgi-bin/webhook/send'), expected.wecom), requests: [flaky.requests, hanging.requests, robots.requests] }));
      throw error;
    });
    console.info(`all notifications delivered ${Date.now() - began} ms after the rollouts finished; flaky ${flaky.requests} requests, hanging ${hanging.requests}`);
    // Longer than a visibility timeout: any duplicate redelivery would have landed by now.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    // Assess
    expect(flaky.keys().sort()).toEqual(expected.flaky);
    expect(hanging.keys().sort()).toEqual(expected.hanging);
    expect(robotKeys('/robot/send').sort()).toEqual(expected.ding);
    expect(robotKeys('/cgi-bin/webhook/send').sort()).toEqual(expected.wecom);
    expect(flaky.requests).toBeGreaterThan(expected.flaky.length); // the 500s were retried
    expect(hanging.requests).toBeGreaterThan(expected.hanging.length); // so were the hung attempts
    const sqs = localSqs(inject('aws').sqsEndpoint);
    const attrs = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: notificationQueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes;
    sqs.destroy();
    expect([attrs?.ApproximateNumberOfMessages, attrs?.ApproximateNumberOfMessagesNotVisible]).toEqual(['0', '0']);
  });

  it('signs the generic webhook and DingTalk URLs verifiably, and reports the failing metric', () => {
    for (const request of flaky.accepted) {
      expect(verifyWebhookSignature(String(request.headers[SIGNATURE_HEADER.toLowerCase()]), request.body, 'whsec-integration', request.at)).toBe(true);
    }
    const rolledBack = flaky.accepted.map((a) => JSON.parse(a.body) as Record<string, unknown>).find((b) => b.event === 'rolledBack');
    expect(rolledBack).toMatchObject({ rollout: { name: 'faulty' }, phase: 'Failed', failingMetric: expect.stringMatching(/successRate|errorRate/) });
    for (const request of robots.accepted.filter((a) => a.url.startsWith('/robot/send'))) {
      const query = new URL(request.url, 'http://x').searchParams;
      expect(query.get('sign')).toBe(dingTalkSign(Number(query.get('timestamp')), 'SEC-integration'));
    }
  });
});
