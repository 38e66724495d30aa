import { z } from 'zod';
import { ACTIONS } from '../domain/actions.js';
import { PHASES } from '../domain/phases.js';
import { RELEASE_ACTIONS } from '../domain/release-actions.js';
import { RELEASE_PHASES, releaseStatusSchema } from '../domain/release.js';
import { releaseDocumentSchema } from '../domain/release-schema.js';
import { canaryDeploymentSchema } from '../domain/spec-schema.js';
import { admissionReviewSchema } from './admission-review.js';
import {
  auditEventSchema, errorBodySchema, eventListSchema, pageSchema, releaseViewSchema, rolloutViewSchema, whoAmISchema,
  ACTION_NAMES, RELEASE_VIEW_PHASES, ROLE_NAMES,
} from './api-schemas.js';
import type { Role } from './auth.js';
import type { ReleaseView } from './release-view.js';
import type { rolloutView } from './views.js';

/**
 * The OpenAPI 3.1 document (GET /openapi.json), generated from the request schemas and from the answer
 * schemas of api-schemas.ts, which the CLI and the dashboard parse answers with. They are re-exported
 * here so server code keeps one import.
 */
export { auditEventSchema, errorBodySchema, eventListSchema, pageSchema, releaseViewSchema, rolloutViewSchema };

// Compile-time guards: what the handlers answer (views.ts, release-view.ts) must fit these schemas, so a
// renamed field breaks `tsc` here instead of the CLI, the dashboard or the document at run time.
export const rolloutViewFits = (view: ReturnType<typeof rolloutView>): z.input<typeof rolloutViewSchema> => view;
export const releaseViewFits = (view: ReleaseView): z.input<typeof releaseViewSchema> => view;

// api-schemas.ts restates the release phases, wave and cell fields, the roles and the action names (their
// home modules need node:crypto or carry engine logic the browser has no use for); these break `tsc` the
// moment the two copies differ, either way.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Stored = z.output<typeof releaseStatusSchema>;
type Viewed = z.output<typeof releaseViewSchema>;
export const releaseViewMatchesState: [
  Same<Viewed['phase'], Stored['phase']>,
  Same<Omit<Viewed['waves'][number], 'clusters' | 'maxParallel' | 'approval'>, Stored['waves'][number]>,
  Same<Omit<Viewed['matrix'][number], 'wave'>, Omit<Stored['items'][number], 'wave'>>,
  Same<Pick<Viewed, 'id' | 'message' | 'haltReason' | 'version' | 'createdAt' | 'updatedAt' | 'createdBy'>, Pick<Stored, 'id' | 'message' | 'haltReason' | 'version' | 'createdAt' | 'updatedAt' | 'createdBy'>>,
  Same<(typeof RELEASE_PHASES)[number], (typeof RELEASE_VIEW_PHASES)[number]>,
  Same<Role, (typeof ROLE_NAMES)[number]>,
  Same<(typeof ACTIONS)[number], (typeof ACTION_NAMES)[number]>,
] = [true, true, true, true, true, true, true];

const actionBody = z.strictObject({ comment: z.string().max(2000).optional(), step: z.union([z.number().int().min(1), z.literal('promotion')]).optional() });
const releaseActionBody = z.strictObject({ comment: z.string().max(2000).optional(), wave: z.string().min(1).optional() });
const syncReports = z.object({ clusters: z.array(z.object({
  cluster: z.string(), objects: z.number().int(), started: z.array(z.string()), ended: z.array(z.string()),
  invalid: z.array(z.string()), waiting: z.array(z.string()), error: z.string().optional(),
})) });
const admissionAnswer = z.object({
  apiVersion: z.literal('admission.k8s.io/v1'), kind: z.literal('AdmissionReview'),
  response: z.object({ uid: z.string(), allowed: z.literal(true) }),
});
const verifyResult = z.union([z.object({ valid: z.literal(true), count: z.number().int() }), z.object({ valid: z.literal(false), position: z.number().int(), problem: z.string() })]);

const SCHEMAS = {
  CanaryDeployment: canaryDeploymentSchema, Release: releaseDocumentSchema,
  RolloutView: rolloutViewSchema, ReleaseView: releaseViewSchema,
  RolloutPage: pageSchema(rolloutViewSchema), ReleasePage: pageSchema(releaseViewSchema),
  EventList: eventListSchema, Error: errorBodySchema, ActionBody: actionBody, ReleaseActionBody: releaseActionBody,
  AuditVerification: verifyResult, Health: z.object({ status: z.literal('ok') }), WhoAmI: whoAmISchema,
  SyncReports: syncReports, AdmissionReview: admissionReviewSchema, AdmissionAnswer: admissionAnswer,
} as const;
type SchemaName = keyof typeof SCHEMAS;
/** Described as the client writes them (defaults optional); every other schema as the server answers. */
const REQUEST_BODIES: readonly string[] = ['CanaryDeployment', 'Release', 'ActionBody', 'ReleaseActionBody', 'AdmissionReview'];

interface RouteDoc {
  method: 'get' | 'post'; path: string; summary: string;
  /** The role the token needs; `public` routes take none; per-action roles for `{action}` routes. */
  role: Role | 'public' | Record<string, Role>;
  body?: SchemaName | 'yaml-or-json' | 'form'; bodySchema?: SchemaName;
  ok: SchemaName | 'html' | 'none'; okStatus?: number;
  query?: Record<string, z.ZodType>; action?: readonly string[];
  /** The route's own refusals (a public route's credential check); when given, they replace the generic 404. */
  refusals?: Record<string, string>;
}

const listQuery = { limit: z.number().int().min(1).max(200), cursor: z.string() };
const actionRoles = <T extends string>(list: readonly T[]) => Object.fromEntries(list.map((a) => [a, a === 'approve' || a === 'reject' ? 'approver' : 'deployer'])) as Record<string, Role>;

/** Every HTTP route of serverless.yml (test/unit/openapi.test.ts keeps the two in step). */
export const ROUTES: RouteDoc[] = [
  { method: 'get', path: '/healthz', summary: 'Liveness; needs no token', role: 'public', ok: 'Health' },
  { method: 'get', path: '/openapi.json', summary: 'This document', role: 'public', ok: 'none' },
  { method: 'get', path: '/whoami', summary: "The token's name and role", role: 'viewer', ok: 'WhoAmI' },
  { method: 'get', path: '/', summary: 'The dashboard (static files; its API calls need a token)', role: 'public', ok: 'html' },
  { method: 'get', path: '/ui/{proxy}', summary: 'Dashboard assets', role: 'public', ok: 'html' },
  { method: 'post', path: '/rollouts', summary: 'Start a rollout from a CanaryDeployment (YAML or JSON)', role: 'deployer', body: 'yaml-or-json', bodySchema: 'CanaryDeployment', ok: 'RolloutView', okStatus: 201 },
  { method: 'get', path: '/rollouts', summary: 'Rollouts, newest first', role: 'viewer', ok: 'RolloutPage', query: { phase: z.enum(PHASES), cluster: z.string(), namespace: z.string(), ...listQuery } },
  { method: 'get', path: '/rollouts/{id}', summary: 'One rollout: status, step, weight, last analysis, approvals, spec', role: 'viewer', ok: 'RolloutView' },
  { method: 'get', path: '/rollouts/{id}/events', summary: 'The audit trail in order (`?format=jsonl` for NDJSON)', role: 'viewer', ok: 'EventList', query: { format: z.enum(['json', 'jsonl']) } },
  { method: 'get', path: '/rollouts/{id}/events/verify', summary: "Checks the audit trail's hash chain", role: 'viewer', ok: 'AuditVerification' },
  { method: 'post', path: '/rollouts/{id}/{action}', summary: 'Act on a rollout', role: actionRoles(ACTIONS), body: 'ActionBody', ok: 'RolloutView', action: ACTIONS },
  { method: 'post', path: '/releases', summary: 'Start a release from a Release document (YAML or JSON)', role: 'deployer', body: 'yaml-or-json', bodySchema: 'Release', ok: 'ReleaseView', okStatus: 201 },
  { method: 'get', path: '/releases', summary: 'Releases, newest first', role: 'viewer', ok: 'ReleasePage', query: { phase: z.enum(RELEASE_PHASES), ...listQuery } },
  { method: 'get', path: '/releases/{id}', summary: 'One release: waves and the service × cluster matrix', role: 'viewer', ok: 'ReleaseView' },
  { method: 'get', path: '/releases/{id}/events', summary: "The release's audit trail", role: 'viewer', ok: 'EventList' },
  { method: 'post', path: '/releases/{id}/{action}', summary: 'Act on a release', role: actionRoles(RELEASE_ACTIONS), body: 'ReleaseActionBody', ok: 'ReleaseView', action: RELEASE_ACTIONS },
  { method: 'post', path: '/slack/interactions', summary: "Slack button presses; Slack's request signature instead of a token", role: 'public', body: 'form', ok: 'none' },
  { method: 'post', path: '/callbacks/{token}', summary: 'A signed, expiring, single-use approval or rejection link', role: 'public', ok: 'RolloutView' },
  { method: 'post', path: '/sync', summary: 'The scheduled cluster sync, now: what each cluster\'s pass started, ended or refused', role: 'deployer', ok: 'SyncReports' },
  {
    method: 'post', path: '/admission/{cluster}/{secret}', role: 'public', body: 'AdmissionReview', ok: 'AdmissionAnswer',
    summary: "The apiserver's admission webhook for CanaryDeployment objects; the cluster's secret in the path is the credential. Always allowed; dry runs cause nothing",
    refusals: { '403': 'Wrong secret, or a cluster without a webhook secret (the apiserver fails open)' },
  },
];

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect, declared once at the top of the document). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });
  return rest;
}

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
const errorRef = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } });

function operation(route: RouteDoc) {
  const params = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name, in: 'path', required: true,
    schema: name === 'action' && route.action ? { type: 'string', enum: [...route.action] } : { type: 'string' },
  }));
  const query = Object.entries(route.query ?? {}).map(([name, schema]) => ({ name, in: 'query', required: false, schema: jsonSchema(schema) }));
  const roleText = typeof route.role === 'string' ? route.role : Object.entries(route.role).map(([a, r]) => `${a}: ${r}`).join(', ');
  const responses: Record<string, unknown> = {
    [String(route.okStatus ?? 200)]: route.ok === 'html' ? { description: 'A file', content: { 'text/html': { schema: { type: 'string' } } } }
      : route.ok === 'none' ? { description: 'OK' } : { description: 'OK', content: { 'application/json': { schema: ref(route.ok) } } },
    '500': errorRef('Internal error (never shows internals; names the request id)'),
  };
  if (route.body || route.query) responses['400'] = errorRef('Invalid document, body or query: every problem with its field path');
  if (route.role !== 'public') {
    responses['401'] = errorRef('Missing or wrong token; nothing changes');
    responses['403'] = errorRef('The token\'s role is too weak; the message and details name the role needed');
  }
  Object.assign(responses, Object.fromEntries(Object.entries(route.refusals ?? {}).map(([status, text]) => [status, errorRef(text)])));
  if (route.path.includes('{') && !route.refusals) responses['404'] = errorRef('No such rollout, release or action');
  if (route.method === 'post' && route.role !== 'public') responses['409'] = errorRef('Conflict: an active rollout of the same target, or an action that no longer applies');
  if (route.body === 'yaml-or-json') Object.assign(responses, { '413': errorRef('Body over 256 KiB'), '415': errorRef('Content type other than JSON or YAML') });
  const body = requestBody(route);
  return {
    summary: route.summary, description: `Role: ${roleText}.`, 'x-codedance-role': route.role,
    security: route.role === 'public' ? [] : [{ bearerToken: [] }],
    parameters: [...params, ...query], ...(body ? { requestBody: body } : {}), responses,
  };
}

function requestBody(route: RouteDoc): Record<string, unknown> | undefined {
  const { body, bodySchema } = route;
  if (body === undefined) return undefined;
  if (body === 'form') return { required: true, content: { 'application/x-www-form-urlencoded': { schema: { type: 'object' } } } };
  if (body === 'yaml-or-json') {
    const schema = bodySchema ? ref(bodySchema) : { type: 'object' };
    return { required: true, content: { 'application/json': { schema }, 'application/yaml': { schema } } };
  }
  return { required: false, content: { 'application/json': { schema: ref(body) } } };
}

/** The OpenAPI 3.1 document; built on each call (cheap) so it can never drift from the schemas it reads. */
export function openApiDocument(version = '0.1.0') {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) (paths[route.path] ??= {})[route.method] = operation(route);
  const schemas = Object.fromEntries(Object.entries(SCHEMAS).map(([name, schema]) => [name, jsonSchema(schema, REQUEST_BODIES.includes(name) ? 'input' : 'output')]));
  return {
    openapi: '3.1.0',
    info: { title: 'Codedance API', version, description: 'Canary rollouts and batch releases. Errors: {"error":{"code","message","details":[{"path","message"}]}}. Roles: viewer < deployer, approver < admin.' },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    components: { securitySchemes: { bearerToken: { type: 'http', scheme: 'bearer' } }, schemas },
    security: [{ bearerToken: [] }],
    paths,
  };
}
