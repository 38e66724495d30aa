import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  CRD_PATH, DURATION_PATTERN, crdManifest, crdYaml, re2Compatible, toStructural, withoutIgnoreCase, zodSpecSchema, type JsonSchema,
} from '../../infra/k8s/generate-crd.js';
import { parseDuration } from '../../lib/domain/duration.js';
import { canaryDeploymentSchema, IMAGE } from '../../lib/domain/spec-schema.js';
import { documentWith, exampleDocument } from '../support/fixtures.js';

/**
 * The CRD's structural schema for `spec` is generated from the zod schema the engine validates with
 * (infra/k8s/generate-crd.ts). These tests keep the committed YAML equal to a fresh generation, check that
 * the result is structural, and that the two schemas agree on examples: every document the engine accepts,
 * the apiserver accepts too; every wrong type or unknown field is refused by both.
 */
interface Version { schema: { openAPIV3Schema: JsonSchema }; additionalPrinterColumns: Array<{ name: string; jsonPath: string; type: string; priority?: number }> }
const committed = parse(readFileSync(CRD_PATH, 'utf8')) as { spec: { versions: Version[] } };
const version = committed.spec.versions[0]!;
const root = version.schema.openAPIV3Schema;
const spec = root.properties!.spec!;
const at = (path: string): JsonSchema => path.split('.').reduce<JsonSchema>((node, key) => (key === '[*]' ? node.items! : node.properties![key]!), spec);

/**
 * The part of the apiserver's validation a structural schema drives, as `kubectl apply` meets it (strict
 * field validation: an unknown field is an error, not silently pruned). Returns the refused field paths.
 */
function apiserverErrors(schema: JsonSchema, value: unknown, path = 'spec'): string[] {
  if (value === undefined) return [];
  if (schema['x-kubernetes-int-or-string']) return (typeof value === 'string' || Number.isInteger(value)) ? [] : [path];
  const typeOk = schema.type === 'object' ? typeof value === 'object' && value !== null && !Array.isArray(value)
    : schema.type === 'array' ? Array.isArray(value)
      : schema.type === 'integer' ? Number.isInteger(value)
        : schema.type === 'number' ? typeof value === 'number'
          : typeof value === schema.type;
  if (!typeOk) return [path];
  const errors: string[] = [];
  const fail = (bad: boolean) => { if (bad) errors.push(path); };
  if (schema.enum) fail(!schema.enum.includes(value));
  if (typeof value === 'number') {
    const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = schema as { minimum?: number; maximum?: number; exclusiveMinimum?: boolean; exclusiveMaximum?: boolean };
    if (minimum !== undefined) fail(exclusiveMinimum ? value <= minimum : value < minimum);
    if (maximum !== undefined) fail(exclusiveMaximum ? value >= maximum : value > maximum);
  }
  if (typeof value === 'string') {
    if (schema.pattern) fail(!new RegExp(schema.pattern).test(value));
    if (typeof schema.minLength === 'number') fail(value.length < schema.minLength);
    if (typeof schema.maxLength === 'number') fail(value.length > schema.maxLength);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number') fail(value.length < schema.minItems);
    if (typeof schema.maxItems === 'number') fail(value.length > schema.maxItems);
    value.forEach((item, i) => errors.push(...apiserverErrors(schema.items!, item, `${path}[${i}]`)));
  } else if (schema.type === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (object[key] === undefined) errors.push(`${path}.${key}`);
    for (const [key, child] of Object.entries(object)) {
      const childSchema = schema.properties?.[key];
      if (!childSchema) errors.push(`${path}.${key}`); // unknown field
      else errors.push(...apiserverErrors(childSchema, child, `${path}.${key}`));
    }
  }
  return errors;
}

const zodAccepts = (document: unknown): boolean => canaryDeploymentSchema.safeParse(document).success;
const withSpec = (patch: Record<string, unknown>) => documentWith(patch);

describe('the CanaryDeployment CRD (infra/k8s/crds/canarydeployment.yaml)', () => {
  it('is exactly what infra/k8s/generate-crd.ts generates from lib/domain/spec-schema.ts (run `npx tsx infra/k8s/generate-crd.ts`)', () => {
    expect(readFileSync(CRD_PATH, 'utf8')).toBe(crdYaml());
    expect(committed).toEqual(crdManifest());
  });

  it('knows the fields users write: required strings, enums, bounds, durations', () => {
    expect(spec.required).toEqual(['targetDeployment', 'canaryVersion']);
    expect(root.required).toEqual(['spec']);
    expect(at('targetDeployment')).toMatchObject({ type: 'string', maxLength: 253 });
    expect(at('strategy.type')).toEqual({ type: 'string', enum: ['Linear', 'Exponential', 'Manual'] });
    expect(at('strategy.steps')).toMatchObject({ type: 'array', minItems: 1 });
    expect(at('strategy.steps.[*].weight')).toEqual({ type: 'integer', minimum: 1, maximum: 100 });
    expect(at('strategy.steps.[*]').required).toEqual(['weight']);
    expect(at('canaryScale')).toMatchObject({ type: 'object', required: ['type'] });
    expect(at('canaryScale.type')).toEqual({ type: 'string', enum: ['MatchTarget', 'Proportional', 'Fixed'] });
    expect(at('canaryScale.replicas')).toEqual({ type: 'integer', minimum: 1, maximum: 1000 });
    expect(at('metrics.latency.p99')).toEqual({ 'x-kubernetes-int-or-string': true });
    expect(at('analysis.interval')).toEqual({ type: 'string', pattern: DURATION_PATTERN });
    expect(at('analysis.compareWithStable.confidence')).toMatchObject({ minimum: 0.5, exclusiveMinimum: true, maximum: 1, exclusiveMaximum: true });
    expect(at('webhooks')).toMatchObject({ type: 'array', maxItems: 10 });
  });

  it('is structural: a type on every node (or int-or-string), no anyOf/oneOf/allOf/not, no additionalProperties: false', () => {
    const problems: string[] = [];
    const walk = (node: JsonSchema, path: string): void => {
      if (!node.type && !node['x-kubernetes-int-or-string'] && !node['x-kubernetes-preserve-unknown-fields']) problems.push(`${path}: no type`);
      for (const keyword of ['anyOf', 'oneOf', 'allOf', 'not', '$schema', '$ref', 'const', 'nullable']) if (keyword in node) problems.push(`${path}: ${keyword}`);
      if (node.additionalProperties === false) problems.push(`${path}: additionalProperties: false`);
      if (node.pattern !== undefined && !re2Compatible(node.pattern)) problems.push(`${path}: pattern RE2 cannot compile`);
      if (Object.keys(node).some((k) => k.startsWith('x-codedance'))) problems.push(`${path}: a generator marker leaked`);
      for (const [name, child] of Object.entries(node.properties ?? {})) walk(child, `${path}.${name}`);
      if (node.items) walk(node.items, `${path}[*]`);
    };
    walk(root, '');
    expect(problems).toEqual([]);
    expect(root.properties?.spec?.['x-kubernetes-preserve-unknown-fields']).toBeUndefined();
  });

  it('has a field for every field of the zod schema, and the same required ones', () => {
    const mismatches: string[] = [];
    const compare = (fromZod: JsonSchema, fromCrd: JsonSchema, path: string): void => {
      const zodKeys = Object.keys(fromZod.properties ?? {}).sort();
      const crdKeys = Object.keys(fromCrd.properties ?? {}).sort();
      if (JSON.stringify(zodKeys) !== JSON.stringify(crdKeys)) mismatches.push(`${path}: ${zodKeys} vs ${crdKeys}`);
      if (JSON.stringify(fromZod.required ?? []) !== JSON.stringify(fromCrd.required ?? [])) mismatches.push(`${path}: required differs`);
      for (const key of zodKeys) if (fromCrd.properties?.[key]) compare(fromZod.properties![key]!, fromCrd.properties[key], `${path}.${key}`);
      if (fromZod.items && fromCrd.items) compare(fromZod.items, fromCrd.items, `${path}[*]`);
    };
    compare(zodSpecSchema(), spec, 'spec');
    expect(mismatches).toEqual([]);
  });

  it('accepts every document the engine accepts (the examples and variations of them)', () => {
    const accepted = [
      exampleDocument('myapp'),
      exampleDocument('order-service'),
      withSpec({ canaryVersion: 'Registry.Example.com:5000/Team/App:V2@sha256:abc' }),
      withSpec({ metrics: { latency: { p50: 250, p99: '1.5s' } } }),
      withSpec({ strategy: { type: 'Exponential', pause: '1h30m' }, progressDeadline: '300ms', scaleDownDelay: '0s' }),
      withSpec({ canaryScale: { type: 'Fixed', replicas: 3 }, trafficRouting: { provider: 'nginx', nginx: { ingress: 'web.ingress' } } }),
      withSpec({ analysis: { interval: '30s', compareWithStable: { enabled: true, confidence: 0.95, minEffect: { latency: 20 } } } }),
      withSpec({ webhooks: [{ name: 'load-test', type: 'pre-rollout', url: 'https://hooks.example.com/x', timeout: '10s', onFailure: 'reject' }] }),
    ];
    for (const document of accepted) {
      expect(zodAccepts(document), JSON.stringify(document)).toBe(true);
      expect(apiserverErrors(spec, (document as { spec: unknown }).spec), JSON.stringify(document)).toEqual([]);
    }
  });

  it.each([
    ['a weight written as a word', { strategy: { type: 'Linear', steps: [{ weight: 'ten' }, { weight: 100 }] } }, 'spec.strategy.steps[0].weight'],
    ['a fractional weight', { strategy: { type: 'Linear', steps: [{ weight: 10.5 }, { weight: 100 }] } }, 'spec.strategy.steps[0].weight'],
    ['an unknown strategy', { strategy: { type: 'BlueGreen' } }, 'spec.strategy.type'],
    ['a misspelt field', { strategy: { type: 'Linear', stepz: [] } }, 'spec.strategy.stepz'],
    ['a duration in words', { analysis: { interval: 'ten minutes' } }, 'spec.analysis.interval'],
    ['a success rate above 100', { metrics: { successRate: { threshold: 101 } } }, 'spec.metrics.successRate.threshold'],
    ['an upper-case Deployment name', { targetDeployment: 'MyApp' }, 'spec.targetDeployment'],
    ['an image with a space', { canaryVersion: 'myapp: v2' }, 'spec.canaryVersion'],
    ['too many replicas', { canaryScale: { type: 'Fixed', replicas: 5000 } }, 'spec.canaryScale.replicas'],
    ['a confidence of 1', { analysis: { compareWithStable: { confidence: 1 } } }, 'spec.analysis.compareWithStable.confidence'],
    ['a canaryScale without type', { canaryScale: { replicas: 2 } }, 'spec.canaryScale.type'],
  ])('refuses %s, as the engine does, naming the field', (_what, patch, field) => {
    const document = withSpec(patch);
    expect(zodAccepts(document)).toBe(false);
    expect(apiserverErrors(spec, (document as { spec: unknown }).spec)).toContain(field);
  });

  it('leaves to the engine what only code can check (it reports InvalidSpec in the status)', () => {
    const decreasing = withSpec({ strategy: { type: 'Linear', steps: [{ weight: 50 }, { weight: 10 }, { weight: 100 }] } });
    expect(zodAccepts(decreasing)).toBe(false);
    expect(apiserverErrors(spec, (decreasing as { spec: unknown }).spec)).toEqual([]);
  });

  it('checks durations with the grammar of lib/domain/duration.ts', () => {
    const samples = ['0s', '30s', '10m', '1h30m', '300ms', '1.5s', '2h', '', 's', '10', '10 m', '10min', '-5s', '1d', '1h 30m', '.5s', '5.s'];
    for (const sample of samples) expect(new RegExp(DURATION_PATTERN).test(sample), sample).toBe(parseDuration(sample) !== undefined);
  });

  it("keeps the image reference's case-insensitive rule, without the flag the apiserver would not understand", () => {
    const pattern = new RegExp(at('canaryVersion').pattern!);
    for (const sample of ['myapp:v2.0.0', 'Registry:5000/App:V2', 'a', 'my app', ':v2', '', 'app@sha256:ABC', 'app\tv2']) {
      expect(pattern.test(sample), sample).toBe(IMAGE.test(sample));
    }
    expect(withoutIgnoreCase('^[a-z]+\\d$')).toBeUndefined(); // a letter escape outside a class: not plain
    expect(withoutIgnoreCase('^[abc]$')).toBeUndefined(); // single letters in a class: not plain
  });

  it('drops what the apiserver cannot compile and fails loudly on what it cannot express', () => {
    expect(re2Compatible('^(?=a)b$')).toBe(false);
    expect(re2Compatible('^(a)\\1$')).toBe(false);
    expect(re2Compatible('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')).toBe(true);
    expect(toStructural({ type: 'string', pattern: '^(?!x).*$' })).toEqual({ type: 'string' });
    expect(() => toStructural({ anyOf: [{ type: 'string' }, { type: 'boolean' }] })).toThrow(/anyOf/);
    expect(() => toStructural({ type: 'string', const: 'x' })).toThrow(/const/);
  });

  it('shows Phase, Weight, Step, Health and Ready in `kubectl get`, the message with -o wide', () => {
    const columns = version.additionalPrinterColumns;
    expect(columns.map((c) => c.name)).toEqual(['Phase', 'Weight', 'Step', 'Health', 'Ready', 'Message', 'Age']);
    expect(columns.find((c) => c.name === 'Ready')?.jsonPath).toBe('.status.conditions[?(@.type=="Ready")].status');
    expect(columns.find((c) => c.name === 'Message')?.priority).toBe(1);
    const status = root.properties!.status!;
    expect(Object.keys(status.properties ?? {})).toEqual(expect.arrayContaining(['observedGeneration', 'conditions', 'phase', 'weight', 'step', 'health', 'message', 'rolloutId', 'observedAt']));
    expect(status.properties!.conditions!.items!.required).toEqual(['type', 'status', 'reason', 'lastTransitionTime']);
  });
});
