import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { parse, type CollectionTag, type ScalarTag } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../lib/domain/actions.js';

/**
 * Auth on every route, read from serverless.yml so a route added later is covered without editing this
 * file. Only the refusal paths are exercised: authentication runs before any I/O, so no network is used.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const TOKENS = {
  viewer: 'viewer-token-0123456789abcdef',
  deployer: 'deployer-token-0123456789abcdef',
  approver: 'approver-token-0123456789abcdef',
  admin: 'admin-token-0123456789abcdef',
} as const;

/** Routes that take no bearer token, and why; every other route must answer 401 without one. */
const PUBLIC_ROUTES: Record<string, string> = {
  'GET /healthz': 'liveness probe, reveals nothing',
  'POST /slack/interactions': 'Slack signs the request (lib/http/slack-signature.ts)',
  'POST /callbacks/{token}': 'the signed, single-use token in the path is the credential (lib/http/callback-token.ts)',
  'POST /admission/{cluster}/{secret}': "the cluster's webhook secret in the path is the credential (lib/http/admission-review.ts)",
};
/** How a public route refuses a request without its credential, when not 401 (the apiserver reads a 403 as a failed call). */
const PUBLIC_REFUSALS: Record<string, [number, string]> = { 'POST /admission/{cluster}/{secret}': [403, 'Forbidden'] };
const WEBHOOK_SECRET = 'unit-webhook-secret-0123456789';
/**
 * Read-only pages that may be public or viewer-only, if they exist: the OpenAPI document, whoami, and the
 * dashboard's static files (`/`, `/ui/...`; they hold no data, every API call the page makes needs a token).
 */
const PUBLIC_OR_VIEWER = [/^GET \/openapi/, /^GET \/dashboard/, /^GET \/ui\//, /^GET \/whoami$/, /^GET \/$/];

// CloudFormation short tags only need to parse; their values are not used here.
const cfnTags = ['GetAtt', 'Ref', 'Join', 'Sub', 'Select', 'If', 'Equals', 'ImportValue', 'Split'].flatMap((name): (ScalarTag | CollectionTag)[] => [
  { tag: `!${name}`, resolve: (v: string) => ({ [name]: v }) },
  { tag: `!${name}`, collection: 'seq', resolve: (v) => ({ [name]: v.toJSON() }) },
]);

interface HttpRoute { functionName: string; method: string; path: string; handler: string }

function httpRoutes(): HttpRoute[] {
  const doc = parse(readFileSync(resolve(ROOT, 'serverless.yml'), 'utf8'), { customTags: cfnTags }) as {
    functions: Record<string, { handler: string; events?: { httpApi?: { method: string; path: string } }[] }>;
  };
  return Object.entries(doc.functions).flatMap(([functionName, fn]) => (fn.events ?? [])
    .flatMap((e) => (e.httpApi ? [{ functionName, method: e.httpApi.method.toUpperCase(), path: e.httpApi.path, handler: fn.handler }] : [])));
}

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<{ statusCode: number; body?: string }>;
async function loadHandler(route: HttpRoute): Promise<Handler> {
  const dot = route.handler.lastIndexOf('.');
  const module = (await import(pathToFileURL(resolve(ROOT, `${route.handler.slice(0, dot)}.ts`)).href)) as Record<string, Handler>;
  const handler = module[route.handler.slice(dot + 1)];
  if (!handler) throw new Error(`${route.handler} exports no handler`);
  return handler;
}

const context = { awsRequestId: 'security-test', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
const paramValue = (name: string, action: string): string =>
  (name === 'action' ? action : name === 'token' ? 'not-a-token' : name === 'cluster' ? 'default' : name === 'secret' ? 'not-the-secret' : 'ro_securitytest');

function eventFor(route: HttpRoute, headers: Record<string, string>, action = 'pause'): APIGatewayProxyEventV2 {
  const pathParameters: Record<string, string> = {};
  const rawPath = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => (pathParameters[name] = paramValue(name, action)));
  return {
    version: '2.0', routeKey: `${route.method} ${route.path}`, rawPath, rawQueryString: '',
    headers: { 'content-type': 'application/json', ...headers }, pathParameters,
    body: '{}', isBase64Encoded: false,
    requestContext: { http: { method: route.method, path: rawPath }, requestId: 'security-test' },
  } as unknown as APIGatewayProxyEventV2;
}

const bearer = (role: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[role]}` });
const errorOf = (body: string | undefined) => (JSON.parse(body ?? '{}') as { error?: { code: string; message: string; details: { path: string; message: string }[] } }).error;
const mutating = (r: HttpRoute) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method);
const key = (r: HttpRoute) => `${r.method} ${r.path}`;
/**
 * An {action} path parameter decides the role, so such routes are tried with every action name the engine
 * knows (rollout actions, and `cancel` of releases); a route may answer 404 to a name it does not have.
 */
const actionsOf = (r: HttpRoute): string[] => (r.path.includes('{action}') ? [...new Set([...ACTIONS, 'cancel'])] : ['pause']);
const unknownAction = (status: number, body: string | undefined) => status === 404 && /action/i.test(errorOf(body)?.message ?? '');
/** approve/reject need approver; every other change needs deployer. */
const roleNeeded = (action: string) => (action === 'approve' || action === 'reject' ? 'approver' : 'deployer');

describe('auth on every HTTP route in serverless.yml', () => {
  const saved = { ...process.env };
  const routes = httpRoutes();

  beforeAll(() => {
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'unit', AWS_SECRET_ACCESS_KEY: 'unit',
      CODEDANCE_TABLE: 'security-unit', CODEDANCE_TICK_QUEUE_URL: 'http://127.0.0.1:9/queue/none',
      CODEDANCE_API_TOKENS: JSON.stringify(Object.entries(TOKENS).map(([role, token]) => ({ name: `${role}-bot`, token, role }))),
      CODEDANCE_SLACK_SIGNING_SECRET: 'unit-slack-signing-secret', CODEDANCE_SLACK_BOT_TOKEN: 'xoxb-unit-bot-token',
      CODEDANCE_CALLBACK_SECRET: 'unit-callback-secret-0123456789',
      CODEDANCE_CLUSTERS: JSON.stringify([{ name: 'default', token: { server: 'https://127.0.0.1:9', token: 'unused' }, webhookSecret: WEBHOOK_SECRET }]),
    });
    delete process.env.CODEDANCE_API_TOKEN;
    delete process.env.CODEDANCE_API_TOKEN_PARAMETER;
  });
  afterAll(() => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  });

  it('finds the routes (sanity: the file was read)', () => {
    expect(routes.map(key)).toEqual(expect.arrayContaining(['POST /rollouts', 'GET /rollouts/{id}', 'POST /rollouts/{id}/{action}', ...Object.keys(PUBLIC_ROUTES)]));
  });

  it.each(routes.map((r) => [key(r), r] as const))('%s: without a bearer token only a documented public route answers', async (_name, route) => {
    const handler = await loadHandler(route);
    for (const action of actionsOf(route)) {
      const response = await handler(eventFor(route, {}, action), context);
      if (unknownAction(response.statusCode, response.body)) continue;
      if (PUBLIC_ROUTES[key(route)] !== undefined) {
        // Public routes still refuse: healthz is the one that answers 200; the signed ones say why they refuse.
        if (key(route) === 'GET /healthz') expect(response.statusCode).toBe(200);
        else expect([response.statusCode, errorOf(response.body)?.code]).toEqual(PUBLIC_REFUSALS[key(route)] ?? [401, 'Unauthorized']);
      } else if (PUBLIC_OR_VIEWER.some((p) => p.test(key(route)))) {
        // 404: a static file the build did not produce; 503 DashboardNotBuilt before `npm run build:web`.
        const notBuilt = response.statusCode === 503 && errorOf(response.body)?.code === 'DashboardNotBuilt';
        if (!notBuilt) expect([200, 401, 404], `${key(route)}: ${response.body?.slice(0, 200)}`).toContain(response.statusCode);
      } else {
        expect(response.statusCode, `${key(route)} ${action}: ${response.body}`).toBe(401);
        expect(errorOf(response.body)?.code).toBe('Unauthorized');
      }
    }
  });

  it.each(routes.map((r) => [key(r), r] as const))('%s: a wrong bearer token is refused like none', async (_name, route) => {
    if (PUBLIC_ROUTES[key(route)] !== undefined || PUBLIC_OR_VIEWER.some((p) => p.test(key(route)))) return;
    const response = await (await loadHandler(route))(eventFor(route, { authorization: 'Bearer not-one-of-the-configured-tokens' }), context);
    expect(response.statusCode).toBe(401);
    expect(response.body).not.toContain(TOKENS.viewer);
  });

  it.each(routes.filter((r) => mutating(r) && PUBLIC_ROUTES[key(r)] === undefined).map((r) => [key(r), r] as const))(
    '%s: a viewer token is refused with 403 naming the role it needs', async (_name, route) => {
      const handler = await loadHandler(route);
      let refused = 0;
      for (const action of actionsOf(route)) {
        const response = await handler(eventFor(route, bearer('viewer'), action), context);
        if (unknownAction(response.statusCode, response.body)) continue;
        refused++;
        expect(response.statusCode, `${action}: ${response.body}`).toBe(403);
        const error = errorOf(response.body);
        expect(error?.code).toBe('Forbidden');
        expect(error?.message).toMatch(/needs the (deployer|approver|admin) role/);
        expect(error?.message).toContain('has viewer');
        expect(error?.details).toEqual([{ path: 'role', message: expect.stringMatching(/^requires /) }]);
      }
      expect(refused, 'at least one action of the route was tried').toBeGreaterThan(0);
    });

  it('separates duties on the act route: a deployer cannot approve and an approver cannot pause or abort', async () => {
    const route = routes.find((r) => r.path === '/rollouts/{id}/{action}');
    expect(route).toBeDefined();
    const handler = await loadHandler(route!);
    for (const action of ACTIONS) {
      const needed = roleNeeded(action);
      const other = needed === 'approver' ? 'deployer' : 'approver';
      const response = await handler(eventFor(route!, bearer(other), action), context);
      expect(response.statusCode, `${other} → ${action}`).toBe(403);
      expect(errorOf(response.body)?.message).toContain(`needs the ${needed} role`);
    }
  });

  it('an unknown action is a 404 before any role decision is revealed', async () => {
    const route = routes.find((r) => r.path === '/rollouts/{id}/{action}')!;
    const response = await (await loadHandler(route))(eventFor(route, bearer('viewer'), 'delete-everything'), context);
    expect(response.statusCode).toBe(404);
  });

  it('public static routes never serve a file outside their directory (path traversal)', async () => {
    for (const route of routes.filter((r) => r.path.includes('{proxy+}'))) {
      const handler = await loadHandler(route);
      for (const proxy of ['../../../../../../etc/passwd', '..%2F..%2F..%2Fetc%2Fpasswd', '....//....//etc/passwd', '..\\..\\package.json', '/../../package.json']) {
        const event = { ...eventFor(route, {}), pathParameters: { proxy } } as APIGatewayProxyEventV2;
        const response = await handler(event, context);
        expect(response.body ?? '', proxy).not.toMatch(/root:x?:0:0|"name": "codedance"/);
      }
    }
  });

  it('POST /admission/{cluster}/{secret} refuses a wrong secret and an unknown cluster alike, before reading the body', async () => {
    const route = routes.find((r) => key(r) === 'POST /admission/{cluster}/{secret}')!;
    const handler = await loadHandler(route);
    const attempts = [
      { cluster: 'default', secret: 'not-the-secret' },
      { cluster: 'default', secret: WEBHOOK_SECRET.slice(0, -1) },
      { cluster: 'default', secret: `${WEBHOOK_SECRET}x` },
      { cluster: 'no-such-cluster', secret: WEBHOOK_SECRET },
    ];
    const bodies = new Set<string | undefined>();
    for (const pathParameters of attempts) {
      const response = await handler({ ...eventFor(route, {}), body: 'not json at all', pathParameters }, context);
      expect(response.statusCode, JSON.stringify(pathParameters)).toBe(403);
      expect(response.body).not.toContain(WEBHOOK_SECRET);
      bodies.add(response.body);
    }
    expect(bodies.size, 'one answer for every refusal: it tells nothing about which cluster names exist').toBe(1);
  });

  it('POST /slack/interactions refuses a stale or badly signed request before reading it', async () => {
    const route = routes.find((r) => key(r) === 'POST /slack/interactions')!;
    const handler = await loadHandler(route);
    const now = Math.floor(Date.now() / 1000);
    const stale = await handler(eventFor(route, { 'x-slack-request-timestamp': String(now - 600), 'x-slack-signature': 'v0=00' }), context);
    expect([stale.statusCode, errorOf(stale.body)?.message]).toEqual([401, expect.stringContaining('5 minutes')]);
    const forged = await handler(eventFor(route, { 'x-slack-request-timestamp': String(now), 'x-slack-signature': `v0=${'ab'.repeat(32)}` }), context);
    expect([forged.statusCode, errorOf(forged.body)?.message]).toEqual([401, expect.stringContaining('does not match')]);
    expect(forged.body).not.toContain('unit-slack-signing-secret');
  });
});
