import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { parse, type CollectionTag, type ScalarTag } from 'yaml';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/http/openapi.js';
import { openApiDocument } from '../../lib/http/openapi.js';
import { documentWith } from '../support/fixtures.js';

/**
 * The OpenAPI document against serverless.yml (read here, so a route added there without being
 * documented fails this test) and against the zod schemas it is generated from.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const cfnTags = ['GetAtt', 'Ref', 'Join', 'Sub', 'Select', 'If', 'Equals', 'ImportValue', 'Split'].flatMap((name): (ScalarTag | CollectionTag)[] => [
  { tag: `!${name}`, resolve: (v: string) => ({ [name]: v }) },
  { tag: `!${name}`, collection: 'seq', resolve: (v) => ({ [name]: v.toJSON() }) },
]);

function serverlessRoutes(): string[] {
  const doc = parse(readFileSync(resolve(ROOT, 'serverless.yml'), 'utf8'), { customTags: cfnTags }) as {
    functions: Record<string, { events?: Array<{ httpApi?: { method: string; path: string } }> }>;
  };
  return Object.values(doc.functions).flatMap((fn) => (fn.events ?? []).flatMap((e) => (e.httpApi ? [`${e.httpApi.method.toLowerCase()} ${e.httpApi.path}`] : [])));
}

// API Gateway's greedy `{proxy+}` is an ordinary `{proxy}` parameter in OpenAPI.
const normalise = (route: string): string => route.replace(/\{(\w+)\+\}/g, '{$1}');

type Json = Record<string, unknown>;
const document = openApiDocument() as unknown as { openapi: string; paths: Record<string, Record<string, Json>>; components: { schemas: Record<string, Json> } };

/**
 * The fields of `value` a JSON Schema refuses as unknown (`additionalProperties: false`), walking nested
 * objects and arrays along `properties` and `items`. Enough to show the schema is as strict as zod's.
 */
function unknownFields(schema: Json, value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => (schema.items ? unknownFields(schema.items as Json, v, `${path}[${i}]`) : []));
  if (!value || typeof value !== 'object') return [];
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  return Object.entries(value).flatMap(([key, v]) => {
    const here = path ? `${path}.${key}` : key;
    if (properties[key]) return unknownFields(properties[key], v, here);
    return schema.additionalProperties === false ? [here] : [];
  });
}

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document that survives a JSON round trip', async () => {
    const response = await handler({ headers: {}, rawPath: '/openapi.json' } as unknown as APIGatewayProxyEventV2, { awsRequestId: 't' } as Context);
    expect(response.statusCode).toBe(200);
    const served = JSON.parse(response.body ?? '');
    expect(served.openapi).toBe('3.1.0');
    expect(served).toEqual(JSON.parse(JSON.stringify(document)));
  });

  it('lists every httpApi route of serverless.yml, and nothing else', () => {
    const documented = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
    expect(documented.sort()).toEqual(serverlessRoutes().map(normalise).sort());
  });

  it('names the role of every route, and the error shape of every refusal', () => {
    for (const [path, ops] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op['x-codedance-role'], `${method} ${path}`).toBeDefined();
        const responses = op.responses as Record<string, Json>;
        for (const [status, response] of Object.entries(responses).filter(([s]) => Number(s) >= 400)) {
          expect(response, `${method} ${path} ${status}`).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
        }
        if (op['x-codedance-role'] !== 'public') expect(Object.keys(responses)).toEqual(expect.arrayContaining(['401', '403']));
      }
    }
    expect(document.paths['/rollouts/{id}/{action}']?.post?.['x-codedance-role']).toMatchObject({ approve: 'approver', reject: 'approver', abort: 'deployer' });
    expect(document.paths['/rollouts']?.post?.['x-codedance-role']).toBe('deployer');
    // The admission webhook takes no token: its path secret is refused with 403 (the apiserver fails open).
    expect(document.paths['/admission/{cluster}/{secret}']?.post).toMatchObject({ 'x-codedance-role': 'public', security: [], responses: { '200': {}, '400': {}, '403': {} } });
    expect(document.components.schemas.Error).toMatchObject({ properties: { error: { required: ['code', 'message', 'details'] } } });
  });

  it('every $ref points at a schema that exists', () => {
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(document.components.schemas[ref.replace('#/components/schemas/', '')], ref).toBeDefined();
  });

  it('its CanaryDeployment schema refuses unknown fields at every level, like the zod schema', () => {
    const schema = document.components.schemas.CanaryDeployment!;
    expect(unknownFields(schema, documentWith({}))).toEqual([]);
    const doc = documentWith({ colour: 'blue', strategy: { type: 'Linear', steps: [{ weight: 100, hold: '1m' }] } }, { owner: 'me' });
    expect(unknownFields(schema, { ...doc, status: {} }).sort()).toEqual(['metadata.owner', 'spec.colour', 'spec.strategy.steps[0].hold', 'status']);
    expect(document.paths['/rollouts']?.post?.requestBody).toMatchObject({ content: { 'application/yaml': { schema: { $ref: '#/components/schemas/CanaryDeployment' } } } });
  });

  it('the release body is the Release schema, also strict', () => {
    const schema = document.components.schemas.Release!;
    expect(schema).toMatchObject({ additionalProperties: false, properties: { kind: { const: 'Release' } } });
    expect(unknownFields(schema, { kind: 'Release', spec: { waves: [{ name: 'w', clusters: ['c'], parallel: 2 }] } })).toEqual(['spec.waves[0].parallel']);
  });
});
