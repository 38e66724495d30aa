/**
 * Writes infra/k8s/crds/canarydeployment.yaml: the CanaryDeployment CRD whose `spec` schema is generated
 * from the zod schema the engine validates with (lib/domain/spec-schema.ts), so `kubectl apply` refuses
 * obvious mistakes server-side, with the field named, before the engine ever sees them.
 *
 *   npx tsx infra/k8s/generate-crd.ts          # rewrite the YAML
 *   npx tsx infra/k8s/generate-crd.ts --check  # exit 1 when the YAML is stale
 *
 * test/unit/crd-schema.test.ts regenerates it in memory and fails when the committed file differs.
 *
 * zod's JSON Schema (OpenAPI 3.0 flavour) is narrowed to Kubernetes' structural subset:
 * - strict objects' `additionalProperties: false` is dropped: the apiserver prunes unknown fields, and
 *   `kubectl apply` (server-side field validation, Strict by default) refuses them by name;
 * - a duration that may also be a number of milliseconds (string | number) becomes
 *   `x-kubernetes-int-or-string: true` (no anyOf with types in a structural schema);
 * - a duration string gets the duration grammar as its `pattern` (zod checks it in a refinement);
 * - a regex with flags (the image reference is case-insensitive) or one RE2 cannot compile is dropped:
 *   the server then accepts a superset, and the engine still checks it;
 * - what only code can check (strictly increasing step weights, canaryScale.replicas only with Fixed,
 *   a target that exists) stays with the engine, which reports it as the `InvalidSpec` condition.
 * Any other JSON Schema keyword fails the generator, so a new kind of zod field is noticed here.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Document, isMap, isScalar, isSeq, visit } from 'yaml';
import { z } from 'zod';
import { PHASES } from '../../lib/domain/phases.js';
import { canaryDeploymentSchema, duration } from '../../lib/domain/spec-schema.js';

export const CRD_PATH = fileURLToPath(new URL('./crds/canarydeployment.yaml', import.meta.url));
/** The Helm chart's copy (Helm cannot read files outside its chart); written beside the original. */
export const CHART_CRD_PATH = fileURLToPath(new URL('../helm/codedance/files/canarydeployment.yaml', import.meta.url));

/** The grammar of lib/domain/duration.ts (`10m`, `1h30m`, `300ms`, `0s`), in RE2 and ECMAScript alike. */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';

export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  pattern?: string;
  format?: string;
  description?: string;
  [keyword: string]: unknown;
}

/** Markers the zod walk leaves for the structural pass (never written out). */
const DURATION_MARK = 'x-codedance-duration';
const FLAGGED_REGEX_MARK = 'x-codedance-regex-flags';

/** Keywords copied as they are (value validations Kubernetes supports). */
const KEPT = new Set(['type', 'format', 'description', 'enum', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum',
  'minLength', 'maxLength', 'minItems', 'maxItems', 'uniqueItems', 'multipleOf', 'required']);

/**
 * Whether Go's regexp (RE2), which the apiserver compiles `pattern` with, accepts a pattern the way
 * ECMAScript does: no lookaround, no backreferences, no \u / \c / \k escapes, no named groups in JS syntax.
 */
export function re2Compatible(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
  } catch {
    return false;
  }
  return !/\(\?<?[=!]|\\[1-9]|\\[kuc]|\(\?<[A-Za-z]|[*+?}]\+/.test(pattern);
}

/**
 * A case-insensitive regex without the flag, when that is plain: every letter sits in a character class
 * range a-z or A-Z, which then gets its other case (`[a-z0-9]` → `[a-zA-Z0-9]`). Otherwise undefined.
 */
export function withoutIgnoreCase(pattern: string): string | undefined {
  const classes = /\[((?:\\.|[^\]\\])*)\]/g;
  const outside = pattern.replace(classes, '').replace(/\\[^A-Za-z]/g, '');
  if (/[A-Za-z]/.test(outside)) return undefined;
  let plain = true;
  const widened = pattern.replace(classes, (_all, body: string) => {
    const rest = body.replace(/a-z|A-Z/g, '').replace(/\\[^A-Za-z]/g, '');
    if (/[A-Za-z]/.test(rest)) plain = false;
    const lower = body.includes('a-z');
    const upper = body.includes('A-Z');
    return `[${lower && !upper ? body.replace('a-z', 'a-zA-Z') : upper && !lower ? body.replace('A-Z', 'A-Za-z') : body}]`;
  });
  return plain ? widened : undefined;
}

interface ZodCheckDef { check?: string; format?: string; pattern?: RegExp }
interface ZodInternals { _zod: { def: { checks?: Array<{ _zod: { def: ZodCheckDef } }> } } }
const checksOf = (schema: unknown): Array<{ _zod: { def: ZodCheckDef } }> => (schema as ZodInternals)._zod?.def?.checks ?? [];
const durationChecks = new Set(checksOf(duration));

/** zod's own JSON Schema of the spec, with markers for durations and flagged regexes. */
export function zodSpecSchema(): JsonSchema {
  return z.toJSONSchema(canaryDeploymentSchema.shape.spec, {
    target: 'openapi-3.0',
    io: 'input',
    reused: 'inline',
    unrepresentable: 'throw',
    override: ({ zodSchema, jsonSchema }) => {
      const checks = checksOf(zodSchema);
      const node = jsonSchema as JsonSchema;
      if (checks.some((c) => durationChecks.has(c))) node[DURATION_MARK] = true;
      const flagged = checks.map((c) => c._zod.def).filter((d) => d.format === 'regex' && (d.pattern?.flags ?? '') !== '');
      if (flagged.length > 0) {
        // Only a case-insensitive regex whose letters are all in class ranges survives, without its flag.
        const rewritten = flagged.length === 1 && flagged[0]!.pattern!.flags === 'i' ? withoutIgnoreCase(flagged[0]!.pattern!.source) : undefined;
        if (rewritten !== undefined && node.pattern === flagged[0]!.pattern!.source) node.pattern = rewritten;
        else node[FLAGGED_REGEX_MARK] = true;
      }
    },
  }) as JsonSchema;
}

const isSafeIntegerBound = (v: unknown): boolean => v === Number.MAX_SAFE_INTEGER || v === Number.MIN_SAFE_INTEGER;

/** A JSON Schema node as a structural schema node (see the header for the rules). */
export function toStructural(node: JsonSchema, path = 'spec'): JsonSchema {
  if (node.anyOf) {
    const types = new Set(node.anyOf.map((alt) => (alt.type === 'integer' ? 'number' : alt.type)));
    if (types.size === 2 && types.has('string') && types.has('number') && node.anyOf.length === 2) {
      return { ...(node.description ? { description: node.description } : {}), 'x-kubernetes-int-or-string': true };
    }
    throw new Error(`${path}: anyOf of ${JSON.stringify([...types])} has no structural equivalent; extend infra/k8s/generate-crd.ts`);
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === DURATION_MARK || key === FLAGGED_REGEX_MARK) continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as Record<string, JsonSchema>).map(([name, child]) => [name, toStructural(child, `${path}.${name}`)]));
    } else if (key === 'items') {
      out.items = toStructural(value as JsonSchema, `${path}[*]`);
    } else if (key === 'additionalProperties') {
      // false: pruning does it (and kubectl's strict field validation names the field); a schema: a map.
      if (typeof value === 'object') out.additionalProperties = toStructural(value as JsonSchema, `${path}.*`);
    } else if (key === 'pattern') {
      if (!node[FLAGGED_REGEX_MARK] && re2Compatible(String(value))) out.pattern = String(value);
    } else if ((key === 'minimum' || key === 'maximum') && isSafeIntegerBound(value)) {
      continue;
    } else if (KEPT.has(key)) {
      out[key] = value;
    } else {
      throw new Error(`${path}: JSON Schema keyword "${key}" has no structural equivalent; extend infra/k8s/generate-crd.ts`);
    }
  }
  if (!out.type) throw new Error(`${path}: a structural schema needs a type`);
  if (node[DURATION_MARK] && out.type === 'string' && out.pattern === undefined) out.pattern = DURATION_PATTERN;
  return ordered(out);
}

/** Keywords in the order people read them: what it is, its limits, then its members. */
const ORDER = ['description', 'type', 'format', 'enum', 'minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum', 'multipleOf',
  'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'uniqueItems', 'properties', 'required', 'items', 'additionalProperties'];
const ordered = (node: JsonSchema): JsonSchema =>
  Object.fromEntries(Object.entries(node).sort(([a], [b]) => ORDER.indexOf(a) - ORDER.indexOf(b)));

/** The structural schema of `spec`, generated from canaryDeploymentSchema. */
export function specStructuralSchema(): JsonSchema {
  return {
    description: 'The rollout: the Deployment to roll out, the new image, the steps, the metrics that judge it. Validated again by the engine.',
    ...toStructural(zodSpecSchema()),
  };
}

/** What the engine writes (lib/domain/object-status.ts); nobody else writes the status subresource. */
const statusSchema: JsonSchema = {
  type: 'object',
  description: 'Written by the Codedance engine only.',
  properties: {
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0, description: 'The metadata.generation whose spec the status describes.' },
    phase: { type: 'string', enum: [...PHASES], description: 'Initializing, Progressing, Paused, Promoting, RollingBack, Completed or Failed.' },
    weight: { type: 'integer', minimum: 0, maximum: 100, description: 'Percent of traffic on the canary.' },
    step: { type: 'string', description: 'Current step over total, e.g. "2/3".' },
    health: { type: 'number', description: 'Last health score, 0-100.' },
    message: { type: 'string' },
    rolloutId: { type: 'string', description: 'The engine rollout this object stands for.' },
    observedAt: { type: 'string', format: 'date-time', description: 'When the engine last changed this status.' },
    conditions: {
      type: 'array',
      description: 'Ready (completed), Progressing (a rollout runs) and Failed (rolled back, or InvalidSpec).',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: {
        type: 'object',
        required: ['type', 'status', 'reason', 'lastTransitionTime'],
        properties: {
          type: { type: 'string' },
          status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
          reason: { type: 'string' },
          message: { type: 'string' },
          lastTransitionTime: { type: 'string', format: 'date-time' },
          observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
        },
      },
    },
  },
};

/** The CustomResourceDefinition, as an object. */
export function crdManifest(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'canarydeployments.deploy.codedance.io' },
    spec: {
      group: 'deploy.codedance.io',
      scope: 'Namespaced',
      names: { kind: 'CanaryDeployment', listKind: 'CanaryDeploymentList', plural: 'canarydeployments', singular: 'canarydeployment', shortNames: ['canary'] },
      versions: [{
        name: 'v1alpha1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
          { name: 'Weight', type: 'integer', jsonPath: '.status.weight' },
          { name: 'Step', type: 'string', jsonPath: '.status.step' },
          { name: 'Health', type: 'number', jsonPath: '.status.health' },
          { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
          { name: 'Message', type: 'string', jsonPath: '.status.message', priority: 1 },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: 'A canary rollout of one Deployment, run by the Codedance engine (nothing runs in the cluster).',
            required: ['spec'],
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              spec: specStructuralSchema(),
              status: statusSchema,
            },
          },
        },
      }],
    },
  };
}

const HEADER = `# The CanaryDeployment resource. GENERATED by infra/k8s/generate-crd.ts from the zod schema in
# lib/domain/spec-schema.ts: do not edit by hand, run \`npx tsx infra/k8s/generate-crd.ts\`
# (test/unit/crd-schema.test.ts fails when the two differ).
#
# The apiserver refuses wrong types, unknown fields, out-of-range numbers and bad names or durations at
# \`kubectl apply\`; what only the engine can check (step order, a missing target) ends in the status as a
# Failed condition with reason InvalidSpec. The engine writes only .status (conditions, observedGeneration).
`;

/** Small maps of scalars on one line (`{ type: integer, minimum: 1 }`), the rest in block style. */
function compact(doc: Document): void {
  visit(doc, {
    Map(_key, node) {
      const leafy = node.items.every((pair) => isScalar(pair.value) || (isSeq(pair.value) && pair.value.items.every(isScalar)));
      if (leafy && node.items.length > 0 && JSON.stringify(node.toJSON()).length <= 90) node.flow = true;
    },
    Seq(_key, node) {
      if (node.items.every(isScalar)) node.flow = true;
      else if (node.items.every((item) => isMap(item) && (item as { flow?: boolean }).flow)) node.flow = false;
    },
  });
}

/** The YAML file's text. */
export function crdYaml(): string {
  const doc = new Document(crdManifest());
  compact(doc);
  return HEADER + doc.toString({ lineWidth: 0, flowCollectionPadding: true });
}

function main(): void {
  const text = crdYaml();
  if (process.argv.includes('--check')) {
    for (const path of [CRD_PATH, CHART_CRD_PATH]) {
      if (readFileSync(path, 'utf8') !== text) {
        process.stderr.write(`${path} is stale: run npx tsx infra/k8s/generate-crd.ts\n`);
        process.exit(1);
      }
    }
    return;
  }
  for (const path of [CRD_PATH, CHART_CRD_PATH]) {
    writeFileSync(path, text);
    process.stdout.write(`wrote ${path}\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
