/**
 * Reads serverless.yml the way the local stack needs it: CloudFormation short tags (!GetAtt, !Ref, !Join,
 * !Sub ...) become their long form ({'Fn::GetAtt': [...]}), and `${self:...}`, `${opt:...}` and
 * `${env:...}` variables are resolved — enough for this file, not a general Serverless variable engine.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type CollectionTag, type ScalarTag } from 'yaml';
import { z } from 'zod';

const INTRINSICS = ['Base64', 'Cidr', 'FindInMap', 'GetAtt', 'GetAZs', 'ImportValue', 'Join', 'Select', 'Split', 'Sub', 'Transform', 'And', 'Equals', 'If', 'Not', 'Or', 'Condition', 'Ref'];

/** `!GetAtt A.Arn` → {'Fn::GetAtt': ['A', 'Arn']}; `!Ref X` → {Ref: 'X'}; sequences and maps keep their shape. */
function longForm(name: string, value: unknown): Record<string, unknown> {
  if (name === 'Ref' || name === 'Condition') return { [name]: value };
  if (name === 'GetAtt' && typeof value === 'string') {
    const dot = value.indexOf('.');
    return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [`Fn::${name}`]: value };
}

const cfnTags = INTRINSICS.flatMap((name): (ScalarTag | CollectionTag)[] => [
  { tag: `!${name}`, resolve: (str: string) => longForm(name, str) },
  { tag: `!${name}`, collection: 'seq', resolve: (seq) => longForm(name, seq.toJSON()) },
  { tag: `!${name}`, collection: 'map', resolve: (map) => longForm(name, map.toJSON()) },
]);

/** Only what the local stack reads; everything else in the file passes through untouched. */
const serverlessYmlSchema = z.object({
  service: z.string().min(1),
  provider: z.looseObject({ stage: z.string().optional(), region: z.string().optional() }),
  custom: z.record(z.string(), z.unknown()).default({}),
  resources: z.object({ Resources: z.record(z.string(), z.looseObject({ Type: z.string(), Properties: z.record(z.string(), z.unknown()).default({}) })) }),
});
export type ServerlessYml = z.infer<typeof serverlessYmlSchema>;

export function readServerlessYml(serviceDir: string): ServerlessYml {
  const file = join(serviceDir, 'serverless.yml');
  const parsed = serverlessYmlSchema.safeParse(parse(readFileSync(file, 'utf8'), { customTags: cfnTags }));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export interface VariableSources {
  /** `${opt:name, 'default'}` — CLI options such as stage and region. */
  opt: Record<string, string | undefined>;
  /** `${self:a.b}` overrides, checked before the document (e.g. 'custom.tableName' with a test suffix). */
  self?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
}

const VARIABLE = /\$\{(self|opt|env):([\w.-]+)\s*(?:,\s*'([^']*)'\s*)?\}/g;

/** Resolves the variables in one string, recursively (a variable's value may hold variables too). */
export function resolveString(text: string, doc: ServerlessYml, sources: VariableSources, depth = 0): string {
  return text.replace(VARIABLE, (whole, kind: string, path: string, fallback: string | undefined) => {
    if (depth > 10) throw new Error(`serverless.yml: variables nest too deep at ${whole}`);
    const found = kind === 'opt' ? sources.opt[path]
      : kind === 'env' ? (sources.env ?? process.env)[path]
      : sources.self?.[path] ?? lookup(doc, path);
    if (found === undefined && fallback === undefined) throw new Error(`serverless.yml: cannot resolve ${whole}`);
    return resolveString(found ?? fallback ?? '', doc, sources, depth + 1);
  });
}

/** Resolves variables in every string inside `value`; callers validate the result with their own schema. */
export function resolveVariables(value: unknown, doc: ServerlessYml, sources: VariableSources): unknown {
  if (typeof value === 'string') return resolveString(value, doc, sources);
  if (Array.isArray(value)) return value.map((v) => resolveVariables(v, doc, sources));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveVariables(v, doc, sources)]));
  }
  return value;
}

function lookup(doc: unknown, path: string): string | undefined {
  let node: unknown = doc;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Object.entries(node).find(([k]) => k === key)?.[1];
  }
  return typeof node === 'string' || typeof node === 'number' ? String(node) : undefined;
}
