import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ACTIONS } from '../../lib/domain/actions.js';
import { issueCallbackToken } from '../../lib/http/callback-token.js';
import { slackSignature } from '../../lib/http/slack-signature.js';
import { startEngineHarness, waitUntil, type EngineHarness } from '../support/engine-harness.js';

/**
 * 10,000 generated requests to the real HTTP handlers, in process, on DynamoDB Local and local SQS:
 * rollout (and release) documents shaped like the schema with mutated values, arbitrary JSON, malformed
 * bodies, wrong content types, huge bodies and hostile strings in bodies, paths, queries and headers.
 * Every answer must be a success or a 4xx in the API's error shape (a 400 names a field path); never
 * a 5xx. A smaller sample then goes over real HTTP to `npm run start:api`.
 */
const ROOT = resolve(import.meta.dirname, '../..');
/** The environment before the in-process harness adds its table, queues and tokens: start:api gets its own. */
const ORIGINAL_ENV = { ...process.env };
const ADMIN = 'fuzz-admin-token-0123456789abcdef';
const VIEWER = 'fuzz-viewer-token-0123456789abcdef';
const SLACK_SECRET = 'fuzz-slack-signing-secret-0123456789';
/** The harness configures the callback secret; it is read back once the harness has started. */
let CALLBACK_SECRET = '';

type Result = { statusCode: number; body?: string; headers?: Record<string, string> };
type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<Result>;
const context = { awsRequestId: 'fuzz', functionName: 'fuzz', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

// ---- generators ---------------------------------------------------------------------------------
const HOSTILE = [
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '../../etc/passwd', '..%2F..%2Fetc%2Fpasswd', '..\\..\\windows',
  '\u0000', 'a\u0000b', '\u202eevil', '\ud800', '\udfff', '🦄'.repeat(50), "' OR '1'='1", '${jndi:ldap://127.0.0.1/x}', '{{7*7}}',
  '<script>alert(1)</script>', '%00', '%', '\r\nX-Injected: 1', 'NaN', 'Infinity', '-0', '1e309', 'null', 'true', '', ' ', '\t',
  'ro_', 'ro_' + 'a'.repeat(64), 'a'.repeat(10_000), 'x'.repeat(300_000),
];
const hostile: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 500, maxLength: 3000 }) },
);
const dnsName = fc.stringMatching(/^[a-z][a-z0-9-]{0,14}[a-z0-9]$/);
const duration = fc.oneof(fc.constantFrom('0s', '300ms', '30s', '10m', '1h30m'), hostile);
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 3, arbitrary: hostile },
  { weight: 1, arbitrary: fc.constantFrom(-1, 0, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 101, [], {}, null, true) },
);

/**
 * A CanaryDeployment shaped like lib/domain/spec-schema.ts. Every value here is valid, so an unmutated
 * document is accepted (and starts a rollout); the mutations below then break it at its real fields.
 */
const validSteps = fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 5 })
  .chain((ws) => fc.array(fc.constantFrom('0s', '30s', '10m'), { minLength: ws.length + 1, maxLength: ws.length + 1 })
    .map((pauses) => [...[...ws].sort((a, b) => a - b), 100].map((weight, i) => ({ weight, pause: pauses[i]! }))));
const validDuration = fc.constantFrom('0s', '300ms', '30s', '10m', '1h30m');
const rolloutDocument = fc.record({
  apiVersion: fc.constant('deploy.codedance.io/v1alpha1'),
  kind: fc.constant('CanaryDeployment'),
  metadata: fc.record({ name: dnsName, namespace: fc.constantFrom('production', 'default', 'fuzz'), labels: fc.dictionary(dnsName, fc.string(), { maxKeys: 3 }) }, { requiredKeys: ['name'] }),
  spec: fc.record({
    targetDeployment: dnsName,
    canaryVersion: fc.oneof(fc.constant('myapp:v2.0.0'), dnsName.map((n) => `${n}:v1`)),
    cluster: fc.constant('default'),
    strategy: fc.record({ type: fc.constantFrom('Linear', 'Exponential', 'Manual'), steps: validSteps, pause: validDuration }, { requiredKeys: ['type'] }),
    metrics: fc.record({
      successRate: fc.record({ threshold: fc.double({ min: 0, max: 100, noNaN: true }) }),
      latency: fc.record({ p99: fc.oneof(validDuration, fc.integer({ min: 1, max: 5000 })) }, { requiredKeys: [] }),
      errorRate: fc.record({ threshold: fc.double({ min: 0, max: 100, noNaN: true }) }),
      custom: fc.array(fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/), query: fc.constant('sum(rate(x[1m]))'), max: fc.double({ noNaN: true, noDefaultInfinity: true }) }, { requiredKeys: ['name', 'query'] }), { maxLength: 2 }),
    }, { requiredKeys: [] }),
    autoRollback: fc.record({ enabled: fc.boolean(), onMetricsFail: fc.boolean(), onPodCrash: fc.boolean() }, { requiredKeys: [] }),
    analysis: fc.record({ interval: fc.constantFrom('1s', '30s', '1m'), window: validDuration, minRequests: fc.nat(1000), compareWithStable: fc.record({ enabled: fc.boolean(), confidence: fc.double({ min: 0.51, max: 0.99, noNaN: true }) }, { requiredKeys: [] }) }, { requiredKeys: [] }),
    trafficRouting: fc.record({ provider: fc.constantFrom('istio', 'nginx', 'gatewayApi'), istio: fc.record({ virtualService: dnsName }, { requiredKeys: [] }), match: fc.record({ header: fc.constant('x-canary'), value: fc.string() }, { requiredKeys: [] }) }, { requiredKeys: [] }),
    approvals: fc.record({ beforeSteps: fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 3 }), beforePromotion: fc.boolean(), timeout: validDuration, slack: fc.record({ channel: fc.constant('#deploys') }) }, { requiredKeys: [] }),
    notifications: fc.array(fc.record({ type: fc.constantFrom('slack', 'webhook'), url: fc.constantFrom('http://127.0.0.1:9/hook', 'http://169.254.169.254/latest/meta-data/', 'https://example.invalid/x') }), { maxLength: 2 }),
    webhooks: fc.array(fc.record({ name: dnsName, type: fc.constantFrom('pre-rollout', 'confirm-step', 'post-rollout'), url: fc.constantFrom('http://127.0.0.1:9/gate', 'http://10.0.0.1/internal') }), { maxLength: 1 }),
    progressDeadline: fc.constantFrom('10m', '1h'),
  }, { requiredKeys: ['targetDeployment', 'canaryVersion'] }),
});

/** A Release shaped like lib/domain/release-schema.ts, valid before mutation; notBefore is far ahead so none starts. */
const releaseDocument = fc.record({
  apiVersion: fc.constant('deploy.codedance.io/v1alpha1'),
  kind: fc.constant('Release'),
  metadata: fc.record({ name: dnsName }),
  spec: fc.record({
    services: fc.uniqueArray(fc.record({ targetDeployment: dnsName, image: fc.constant('svc:1.0.0'), template: fc.constant('base') }, { requiredKeys: ['targetDeployment', 'image'] }), { minLength: 1, maxLength: 4, selector: (s) => s.targetDeployment }),
    waves: fc.constantFrom([{ name: 'canary', clusters: ['default'] }], [{ name: 'one', clusters: ['default'], maxParallel: 2, approval: true }]),
    templates: fc.constant({ base: { strategy: { type: 'Linear' } } }),
    schedule: fc.record({ notBefore: fc.constant('2099-01-01T00:00:00Z') }),
    haltOnFailure: fc.boolean(),
  }, { requiredKeys: ['services', 'waves', 'schedule'] }),
});

type Mutation = { at: number; kind: 'replace' | 'delete' | 'add'; key: string; value: unknown };
const mutation: fc.Arbitrary<Mutation> = fc.record({ at: fc.nat(), kind: fc.constantFrom('replace', 'delete', 'add'), key: fc.oneof(hostile, fc.constantFrom('__proto__', 'constructor', 'extra')), value: anyValue });

/** Applies mutations at paths chosen among the document's own nodes, so they hit real fields. */
function mutate(doc: unknown, mutations: Mutation[]): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  for (const m of mutations) {
    const containers: Record<string, unknown>[] = [];
    const walk = (node: unknown): void => {
      if (node !== null && typeof node === 'object') {
        containers.push(node as Record<string, unknown>);
        Object.values(node).forEach(walk);
      }
    };
    walk(copy);
    const target = containers[m.at % containers.length]!;
    const keys = Object.keys(target);
    const key = keys.length && m.kind !== 'add' ? keys[m.at % keys.length]! : m.key;
    if (m.kind === 'delete') delete target[key];
    else Object.defineProperty(target, key, { value: m.value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

const contentType = fc.oneof(
  { weight: 16, arbitrary: fc.constantFrom('application/json', 'application/yaml') },
  { weight: 2, arbitrary: fc.constantFrom('text/yaml', 'application/x-yaml', 'application/merge-patch+json', 'APPLICATION/JSON; charset=utf-8', 'text/plain', '', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16') },
  { weight: 1, arbitrary: hostile },
);

function serialise(doc: unknown, type: string): string {
  return /yaml/i.test(type) ? stringify(doc) : JSON.stringify(doc);
}

/** Bodies no serializer would write: truncated, nested to the limit, alias bombs, binary, huge. */
const malformedBody: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(rolloutDocument, fc.nat()).map(([d, n]) => { const t = JSON.stringify(d); return t.slice(0, n % t.length); }),
  fc.tuple(rolloutDocument, fc.nat()).map(([d, n]) => { const t = stringify(d); return t.slice(0, n % t.length) + '\n\t: ['; }),
  fc.integer({ min: 1, max: 200_000 }).map((n) => '['.repeat(n)),
  fc.integer({ min: 1, max: 20_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 1, max: 20_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
  fc.integer({ min: 1, max: 50_000 }).map((n) => '- '.repeat(n) + 'x'),
  fc.constant(['a: &a [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 9 }, (_, i) => `${'bcdefghij'[i]}: &${'bcdefghij'[i]} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(', ')}]`)].join('\n')),
  fc.constantFrom('{"__proto__": {"admin": true}}', '{"constructor": {"prototype": {"polluted": 1}}}', '__proto__:\n  polluted: 1\n', '? [a]\n: b', '!!js/function "() => 1"', '&a [*a]', 'a: !!binary AAAA', '---\n---\n', '%YAML 9.9\n---\na: 1'),
  fc.integer({ min: 256 * 1024 - 10, max: 300 * 1024 }).map((n) => JSON.stringify({ metadata: { name: 'x'.repeat(n) } })),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  hostile,
);

const idValue = (ids: string[]) => fc.oneof(
  { weight: 2, arbitrary: fc.nat().map((n) => ids[n % Math.max(ids.length, 1)] ?? 'ro_none') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) },
  { weight: 2, arbitrary: hostile },
);
const authHeader = fc.oneof(
  { weight: 18, arbitrary: fc.constant(`Bearer ${ADMIN}`) },
  { weight: 1, arbitrary: fc.constant(`Bearer ${VIEWER}`) },
  { weight: 1, arbitrary: fc.oneof(fc.constant(undefined), hostile.map((h) => `Bearer ${h}`), hostile) },
);
const extraHeaders = fc.dictionary(fc.oneof(hostile, fc.constantFrom('Content-Type', 'CONTENT-TYPE', 'x-slack-signature', 'authorization')), hostile, { maxKeys: 3 });
/** A forged cursor with every key attribute of a real one, naming `listPk` and a random item. */
const forgedCursor = (listPks: string[]) => fc.record({ listPk: fc.constantFrom(...listPks), id: fc.oneof(fc.stringMatching(/^[a-z0-9_]{1,20}$/), hostile), prefix: fc.constantFrom('R', 'L', 'T') })
  .map(({ listPk, id, prefix }) => Buffer.from(JSON.stringify({ pk: { S: `${prefix}#${id}` }, sk: { S: 'STATE' }, listPk: { S: listPk }, createdKey: { S: `2026-11-27T00:00:00.000Z#${id}` } })).toString('base64url'));
const queryFor = (listPks: string[]) => fc.oneof(
  fc.constant(undefined),
  fc.dictionary(fc.oneof(fc.constantFrom('phase', 'cluster', 'namespace', 'limit', 'cursor', 'format'), hostile), fc.oneof(
    hostile, fc.constantFrom('Progressing', 'Completed', 'default', '0', '1', '200', '201', '-1', '1.5', '1e3', 'jsonl'),
    // Cursors that decode to a plausible key of another partition or shape.
    fc.record({ pk: fc.record({ S: hostile }), sk: fc.record({ S: hostile }) }, { requiredKeys: [] }).map((k) => Buffer.from(JSON.stringify(k)).toString('base64url')),
    forgedCursor(listPks),
  ), { maxKeys: 4 }),
);
const query = queryFor(['ROLLOUT', 'RELEASE', 'OTHER']);

interface Request { route: string; path: Record<string, string>; headers: Record<string, string | undefined>; query?: Record<string, string> | undefined; body?: string | undefined; base64?: boolean }

/** encodeURIComponent throws on a lone surrogate; a client would have sent U+FFFD in its place. */
const encodePath = (v: string) => encodeURIComponent(v.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));

function event(req: Request): APIGatewayProxyEventV2 {
  const [method, pattern] = req.route.split(' ') as [string, string];
  const rawPath = pattern.replace(/\{(\w+)\}/g, (_m, name: string) => encodePath(req.path[name] ?? ''));
  const headers = Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => e[1] !== undefined));
  return {
    version: '2.0', routeKey: req.route, rawPath, rawQueryString: new URLSearchParams(req.query ?? {}).toString(),
    headers, ...(req.query ? { queryStringParameters: req.query } : {}), pathParameters: req.path,
    ...(req.body !== undefined ? { body: req.base64 ? Buffer.from(req.body).toString('base64') : req.body } : {}), isBase64Encoded: req.base64 ?? false,
    requestContext: { http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'fuzz' }, requestId: 'fuzz', routeKey: req.route, stage: '$default' },
  } as unknown as APIGatewayProxyEventV2;
}

// ---- the invariant --------------------------------------------------------------------------------
const tally = new Map<string, number>();

/** A success, or a 4xx with {error: {code, message, details[]}} where a 400's details name a path. */
function assertAnswer(route: string, result: Result): void {
  const status = result.statusCode;
  tally.set(`${route} ${status}`, (tally.get(`${route} ${status}`) ?? 0) + 1);
  expect(status, `${route} answered ${status}: ${result.body?.slice(0, 500)}`).toBeLessThan(500);
  expect(status).toBeGreaterThanOrEqual(200);
  if (status < 400) return;
  const body = JSON.parse(result.body ?? '') as { error?: { code?: unknown; message?: unknown; details?: { path?: unknown }[] } };
  expect(typeof body.error?.code, result.body).toBe('string');
  expect(typeof body.error?.message, result.body).toBe('string');
  expect(Array.isArray(body.error?.details), result.body).toBe(true);
  if (status === 400) {
    expect(body.error!.details!.length, `a 400 names the field: ${result.body}`).toBeGreaterThan(0);
    for (const d of body.error!.details!) expect(typeof d.path, result.body).toBe('string');
  }
  // Nothing internal leaks: no stack frames, no configured secret.
  expect(result.body).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
  for (const secret of [ADMIN, VIEWER, SLACK_SECRET, CALLBACK_SECRET].filter(Boolean)) expect(result.body).not.toContain(secret);
}

async function loadHandler(file: string): Promise<Handler> {
  return ((await import(pathToFileURL(join(ROOT, 'functions/http', file)).href)) as { handler: Handler }).handler;
}

describe('fuzzing the HTTP API in process (10,000 requests)', () => {
  let harness: EngineHarness;
  const handlers = new Map<string, Handler>();
  const rolloutIds: string[] = [];
  const releaseIds: string[] = [];
  const hasReleases = existsSync(join(ROOT, 'functions/http/create-release.ts'));

  async function call(req: Request): Promise<Result> {
    const result = await handlers.get(req.route)!(event(req), context);
    assertAnswer(req.route, result);
    if (result.statusCode === 201) {
      const id = (JSON.parse(result.body ?? '{}') as { id?: string }).id;
      if (id) (req.route.includes('release') ? releaseIds : rolloutIds).push(id);
    }
    return result;
  }
  const run = <T>(numRuns: number, arb: fc.Arbitrary<T>, body: (value: T) => Promise<unknown>) =>
    fc.assert(fc.asyncProperty(arb, async (v) => { await body(v); }), { numRuns });

  beforeAll(async () => {
    Object.assign(process.env, {
      CODEDANCE_API_TOKENS: JSON.stringify([{ name: 'fuzz-admin', token: ADMIN, role: 'admin' }, { name: 'fuzz-viewer', token: VIEWER, role: 'viewer' }]),
      CODEDANCE_SLACK_SIGNING_SECRET: SLACK_SECRET, CODEDANCE_SLACK_BOT_TOKEN: 'xoxb-fuzz-bot-token',
      // Nothing leaves the machine: Slack is an unused local port, and only loopback is allowed.
      CODEDANCE_SLACK_API_URL: 'http://127.0.0.1:9/api', CODEDANCE_OUTBOUND_ALLOWLIST: '127.0.0.1',
    });
    harness = await startEngineHarness();
    CALLBACK_SECRET = process.env.CODEDANCE_CALLBACK_SECRET ?? '';
    expect(CALLBACK_SECRET.length).toBeGreaterThanOrEqual(16);
    const files: Record<string, string> = {
      'POST /rollouts': 'create-rollout.ts', 'GET /rollouts': 'list-rollouts.ts', 'GET /rollouts/{id}': 'get-rollout.ts',
      'GET /rollouts/{id}/events': 'get-rollout-events.ts', 'POST /rollouts/{id}/{action}': 'act-on-rollout.ts',
      'POST /callbacks/{token}': 'callback.ts', 'POST /slack/interactions': 'slack-interactions.ts',
      ...(hasReleases ? { 'POST /releases': 'create-release.ts', 'GET /releases': 'list-releases.ts', 'GET /releases/{id}': 'get-release.ts', 'GET /releases/{id}/events': 'get-release-events.ts', 'POST /releases/{id}/{action}': 'act-on-release.ts' } : {}),
    };
    for (const [route, file] of Object.entries(files)) handlers.set(route, await loadHandler(file));
  }, 120_000);

  afterAll(async () => {
    await harness?.stop();
    console.log(`fuzz tally (route status → count): ${JSON.stringify(Object.fromEntries([...tally].sort()))}`);
  });

  const docRequest = (route: string) => fc.record({
    doc: route === 'POST /releases' ? releaseDocument : rolloutDocument,
    mutations: fc.oneof(fc.constant<Mutation[]>([]), fc.array(mutation, { minLength: 1, maxLength: 3 })), type: contentType, auth: authHeader, extra: extraHeaders, base64: fc.boolean(),
  }).map(({ doc, mutations, type, auth, extra, base64 }): Request => ({
    route, path: {}, headers: { ...extra, 'content-type': type, authorization: auth }, body: serialise(mutate(doc, mutations), type), base64,
  }));

  it('POST /rollouts: schema-shaped documents with mutated values (2,400)', async () => {
    await run(2400, docRequest('POST /rollouts'), call);
    expect(rolloutIds.length, 'some generated documents were valid and started').toBeGreaterThan(20);
  }, 600_000);

  it('POST /rollouts: malformed, arbitrary, huge and mistyped bodies (1,400)', async () => {
    await run(1400, fc.record({ body: malformedBody, type: contentType, auth: authHeader, base64: fc.boolean() }),
      ({ body, type, auth, base64 }) => call({ route: 'POST /rollouts', path: {}, headers: { 'content-type': type, authorization: auth }, body, base64 }));
  }, 600_000);

  it('GET /rollouts, /rollouts/{id} and /rollouts/{id}/events: hostile ids, queries and headers (2,000)', async () => {
    const routes = ['GET /rollouts', 'GET /rollouts/{id}', 'GET /rollouts/{id}/events'];
    await run(2000, fc.record({ route: fc.constantFrom(...routes), id: idValue(rolloutIds), query, auth: authHeader, extra: extraHeaders }),
      ({ route, id, query: q, auth, extra }) => call({ route, path: route.includes('{id}') ? { id } : {}, query: q, headers: { ...extra, authorization: auth } }));
  }, 600_000);

  it('POST /rollouts/{id}/{action}: every action on real and hostile ids with hostile bodies (1,600)', async () => {
    const body = fc.oneof(fc.constant(undefined), fc.record({ comment: fc.oneof(hostile, fc.string()), step: anyValue }, { requiredKeys: [] }).map((b) => JSON.stringify(b)), malformedBody);
    await run(1600, fc.record({ id: idValue(rolloutIds), action: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ACTIONS) }, { weight: 1, arbitrary: hostile }), body, type: contentType, auth: authHeader }),
      ({ id, action, body: b, type, auth }) => call({ route: 'POST /rollouts/{id}/{action}', path: { id, action }, headers: { 'content-type': type, authorization: auth }, body: b }));
  }, 600_000);

  it('POST /callbacks/{token}: forged, tampered, expired and valid tokens (800)', async () => {
    const gate = fc.oneof(fc.nat({ max: 5 }), fc.constant('promotion' as const));
    const signed = fc.record({ id: idValue(rolloutIds), g: gate, a: fc.constantFrom('approve' as const, 'reject' as const), ttl: fc.integer({ min: -100, max: 3600 }) })
      .map(({ id, g, a, ttl }) => issueCallbackToken(CALLBACK_SECRET, { r: id, g, a }, new Date(), ttl));
    const token = fc.oneof(signed, fc.tuple(signed, fc.nat(), hostile).map(([t, n, h]) => t.slice(0, n % t.length) + h + t.slice(n % t.length)), hostile, fc.constant('a.b'), fc.constant('..'));
    await run(800, fc.record({ token, body: fc.option(malformedBody, { nil: undefined }), extra: extraHeaders }),
      ({ token: t, body, extra }) => call({ route: 'POST /callbacks/{token}', path: { token: t }, headers: { ...extra, 'content-type': 'application/json' }, body }));
  }, 600_000);

  it('POST /slack/interactions: unsigned, badly signed, stale and correctly signed hostile payloads (800)', async () => {
    const payload = fc.oneof(
      fc.record({ type: fc.constantFrom('block_actions', 'shortcut', 'view_submission'), user: fc.record({ id: fc.oneof(fc.constant('U123ABC'), hostile) }), actions: fc.array(fc.record({ action_id: fc.constantFrom('codedance_approve', 'codedance_reject', 'other'), value: fc.oneof(hostile, fc.jsonValue().map((v) => JSON.stringify(v)), idValue(rolloutIds).map((id) => JSON.stringify({ rolloutId: id, gate: 1 }))) }), { maxLength: 2 }), response_url: fc.constantFrom('http://127.0.0.1:9/respond', 'https://hooks.slack.com/actions/x', 'javascript:alert(1)') }, { requiredKeys: [] }).map((p) => `payload=${encodeURIComponent(JSON.stringify(p))}`),
      malformedBody, hostile.map((h) => `payload=${encodePath(h)}`),
    );
    await run(800, fc.record({ body: payload, sign: fc.constantFrom('valid', 'valid', 'wrong', 'stale', 'none'), skew: fc.integer({ min: -1000, max: 1000 }), extra: extraHeaders, base64: fc.boolean() }),
      ({ body, sign, skew, extra, base64 }) => {
        const ts = String(Math.floor(Date.now() / 1000) + (sign === 'stale' ? skew * 10 + (skew >= 0 ? 301 : -301) : 0));
        const headers: Record<string, string> = { ...extra, 'content-type': 'application/x-www-form-urlencoded' };
        if (sign !== 'none') Object.assign(headers, { 'x-slack-request-timestamp': ts, 'x-slack-signature': sign === 'wrong' ? slackSignature('not-the-secret', ts, body) : slackSignature(SLACK_SECRET, ts, body) });
        return call({ route: 'POST /slack/interactions', path: {}, headers, body, base64 });
      });
  }, 600_000);

  it('releases: documents, ids, queries and actions (1,000, when the release routes exist)', async () => {
    if (!hasReleases) {
      // Without release routes the same budget goes to rollout documents, keeping the total at 10,000.
      await run(1000, docRequest('POST /rollouts'), call);
      return;
    }
    await run(400, docRequest('POST /releases'), call);
    expect(releaseIds.length, 'some generated releases were valid and created').toBeGreaterThan(5);
    const routes = ['GET /releases', 'GET /releases/{id}', 'GET /releases/{id}/events', 'POST /releases/{id}/{action}'];
    await run(600, fc.record({ route: fc.constantFrom(...routes), id: idValue(releaseIds), action: fc.oneof(fc.constantFrom('pause', 'resume', 'cancel', 'approve'), hostile), query: queryFor(['RELEASE']), body: fc.option(malformedBody, { nil: undefined }), auth: authHeader }),
      ({ route, id, action, query: q, body, auth }) => call({ route, path: route.includes('{action}') ? { id, action } : route.includes('{id}') ? { id } : {}, query: q, headers: { 'content-type': 'application/json', authorization: auth }, body: route.startsWith('POST') ? body : undefined }));
  }, 600_000);

  it('is still serving afterwards: a valid document is accepted and readable', async () => {
    const doc = { apiVersion: 'deploy.codedance.io/v1alpha1', kind: 'CanaryDeployment', metadata: { name: 'after-fuzz' }, spec: { targetDeployment: `after-fuzz-${Date.now()}`, canaryVersion: 'after:v2' } };
    const created = await call({ route: 'POST /rollouts', path: {}, headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: JSON.stringify(doc) });
    expect(created.statusCode, created.body).toBe(201);
    const id = (JSON.parse(created.body!) as { id: string }).id;
    const read = await call({ route: 'GET /rollouts/{id}', path: { id }, headers: { authorization: `Bearer ${ADMIN}` } });
    expect(read.statusCode).toBe(200);
    // Real cursors still pass the checks that refuse forged ones (lib/adapters/dynamodb/cursor.ts).
    for (const list of hasReleases ? ['GET /rollouts', 'GET /releases'] : ['GET /rollouts']) {
      const first = await call({ route: list, path: {}, query: { limit: '1' }, headers: { authorization: `Bearer ${ADMIN}` } });
      const cursor = (JSON.parse(first.body!) as { nextCursor?: string }).nextCursor;
      expect(cursor, list).toBeDefined();
      const next = await call({ route: list, path: {}, query: { limit: '1', cursor: cursor! }, headers: { authorization: `Bearer ${ADMIN}` } });
      expect(next.statusCode, next.body).toBe(200);
      expect((JSON.parse(next.body!) as { items: unknown[] }).items).toHaveLength(1);
    }
    expect(JSON.stringify(Object.prototype)).toBe('{}'); // no prototype pollution reached the process
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('fuzzing over real HTTP (npm run start:api, 300 requests)', () => {
  let stack: ChildProcess;
  let base = '';

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'codedance-fuzz-'));
    const infoFile = join(dir, 'info.json');
    const port = String(20000 + Math.floor(Math.random() * 20000));
    stack = spawn('npm', ['run', 'start:api', '--', '--port', port, '--stage', `fuzz${port}`, '--info-file', infoFile], {
      env: {
        ...ORIGINAL_ENV, CODEDANCE_API_TOKEN: ADMIN, CODEDANCE_LAMBDA_PORT: String(Number(port) + 1),
        // Callbacks and Slack configured, so their routes verify signatures instead of answering 503.
        CODEDANCE_CALLBACK_SECRET: 'fuzz-http-callback-secret-0123456789', CODEDANCE_SLACK_SIGNING_SECRET: SLACK_SECRET,
        CODEDANCE_SLACK_BOT_TOKEN: 'xoxb-fuzz-http-bot-token', CODEDANCE_SLACK_API_URL: 'http://127.0.0.1:9/api', CODEDANCE_OUTBOUND_ALLOWLIST: '127.0.0.1',
      },
      detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    stack.stdout?.on('data', (d) => { output += String(d); });
    stack.stderr?.on('data', (d) => { output += String(d); });
    await waitUntil('start:api to print ready', async () => /^ready$/m.test(output) || (stack.exitCode !== null ? Promise.reject(new Error(output)) : false), 300_000, 250);
    base = (JSON.parse(readFileSync(infoFile, 'utf8')) as { url: string }).url;
  }, 360_000);

  afterAll(async () => {
    if (stack?.pid) {
      process.kill(-stack.pid, 'SIGTERM');
      await new Promise((r) => stack.once('exit', r));
    }
  });

  // fetch refuses header values that HTTP cannot carry (NUL, CR/LF, non-Latin-1); those are sent percent-encoded.
  const headerSafe = (v: string) => (/^[\x20-\x7e]*$/.test(v) ? v : encodePath(v)).slice(0, 4000);

  it('never answers 5xx and keeps serving', async () => {
    const body = fc.oneof(rolloutDocument.map((d) => JSON.stringify(d)), fc.tuple(rolloutDocument, fc.array(mutation, { maxLength: 3 })).map(([d, m]) => JSON.stringify(mutate(d, m))), malformedBody);
    const request = fc.record({
      target: fc.oneof(
        fc.constant('/rollouts'), hostile.map((h) => `/rollouts/${encodePath(h)}`), hostile.map((h) => `/rollouts/${encodePath(h)}/events`),
        fc.tuple(hostile, fc.oneof(fc.constantFrom(...ACTIONS), hostile)).map(([id, a]) => `/rollouts/${encodePath(id)}/${encodePath(a)}`),
        hostile.map((h) => `/callbacks/${encodePath(h)}`), fc.constant('/slack/interactions'),
        fc.dictionary(fc.constantFrom('phase', 'limit', 'cursor', 'namespace'), hostile, { maxKeys: 3 }).map((q) => `/rollouts?${new URLSearchParams(q)}`),
      ),
      method: fc.constantFrom('GET', 'POST'), body, type: contentType, auth: authHeader,
    });
    await fc.assert(fc.asyncProperty(request, async ({ target, method, body: b, type, auth }) => {
      const headers: Record<string, string> = { 'content-type': headerSafe(type) };
      if (auth !== undefined) headers.authorization = headerSafe(auth);
      const response = await fetch(`${base}${target}`, { method, headers, ...(method === 'POST' ? { body: b } : {}) });
      const text = await response.text();
      expect(response.status, `${method} ${target.slice(0, 200)} → ${response.status} ${text.slice(0, 300)}`).toBeLessThan(500);
      if (response.status >= 400 && response.headers.get('content-type')?.includes('application/json')) {
        const parsed = JSON.parse(text) as { error?: { code?: string; details?: unknown[] } | string };
        // serverless-offline answers unmatched routes itself (hapi's {"error":"Not Found"}, as API Gateway
        // would with its own body); our handlers always answer with the error object.
        if (typeof parsed.error === 'object') expect([typeof parsed.error.code, Array.isArray(parsed.error.details)]).toEqual(['string', true]);
      }
      expect(text).not.toContain(ADMIN);
    }), { numRuns: 300 });
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
  }, 600_000);
});
