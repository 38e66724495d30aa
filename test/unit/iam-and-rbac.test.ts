import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments, type CollectionTag, type ScalarTag } from 'yaml';
import { describe, expect, it } from 'vitest';

/**
 * Least privilege, checked on the files that grant it: the ClusterRole the engine uses in each cluster
 * (infra/k8s) and the IAM statements of the Lambda role (serverless.yml).
 */
const ROOT = resolve(import.meta.dirname, '../..');

// ---- Kubernetes RBAC -------------------------------------------------------------------------------
interface Rule { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[]; nonResourceURLs?: string[] }
interface RbacObject { kind: string; metadata: { name: string }; rules?: Rule[]; roleRef?: { kind: string; name: string }; subjects?: { kind: string; name: string }[] }

function rbacObjects(): RbacObject[] {
  const dir = resolve(ROOT, 'infra/k8s');
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && statSync(join(dir, f)).isFile());
  return files.flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as RbacObject))
    .filter((o) => o && /Role(Binding)?$/.test(o.kind));
}

describe('the engine ClusterRole (infra/k8s)', () => {
  const objects = rbacObjects();
  const roles = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
  const rules = roles.flatMap((r) => r.rules ?? []);
  const grants = (resource: string, verb: string) => rules.some((r) => (r.resources ?? []).includes(resource) && (r.verbs ?? []).includes(verb));

  it('exists and has rules', () => {
    expect(roles.map((r) => r.metadata.name)).toContain('codedance-engine');
    expect(rules.length).toBeGreaterThan(0);
  });

  it('never uses a wildcard for API groups, resources, verbs or names', () => {
    for (const rule of rules) {
      for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames'] as const) {
        expect(rule[field] ?? [], `${field} in ${JSON.stringify(rule)}`).not.toContain('*');
        expect((rule[field] ?? []).filter((v) => v.includes('*')), field).toEqual([]);
      }
      expect(rule.nonResourceURLs, 'no non-resource URLs').toBeUndefined();
    }
  });

  it('cannot read secrets, configmaps or service-account tokens, nor exec into pods', () => {
    const forbidden = ['secrets', 'configmaps', 'serviceaccounts', 'serviceaccounts/token', 'pods/exec', 'pods/attach', 'pods/portforward', 'nodes', 'nodes/proxy', 'services/proxy'];
    for (const rule of rules) expect((rule.resources ?? []).filter((r) => forbidden.includes(r)), JSON.stringify(rule)).toEqual([]);
  });

  it('cannot change RBAC or act as someone else', () => {
    for (const rule of rules) {
      expect(rule.apiGroups ?? []).not.toContain('rbac.authorization.k8s.io');
      expect((rule.verbs ?? []).filter((v) => ['escalate', 'bind', 'impersonate', 'deletecollection', 'approve'].includes(v)), JSON.stringify(rule)).toEqual([]);
    }
  });

  it('never deletes the user-owned traffic objects (VirtualService, DestinationRule, HTTPRoute)', () => {
    for (const resource of ['virtualservices', 'destinationrules', 'httproutes']) {
      expect(grants(resource, 'delete'), resource).toBe(false);
      expect(grants(resource, 'patch') || grants(resource, 'update'), `${resource} weights are still writable`).toBe(true);
    }
  });

  it('reads pods and replica sets without changing them, and changes only the status of CanaryDeployments', () => {
    for (const resource of ['pods', 'replicasets', 'canarydeployments']) {
      const verbs = rules.filter((r) => r.resources?.includes(resource)).flatMap((r) => r.verbs ?? []);
      expect(verbs.filter((v) => !['get', 'list', 'watch'].includes(v)), resource).toEqual([]);
    }
  });

  it('is bound only to the engine identity', () => {
    const bindings = objects.filter((o) => o.kind.endsWith('Binding'));
    expect(bindings.length).toBeGreaterThan(0);
    for (const binding of bindings) {
      expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'codedance-engine' });
      expect(binding.subjects).toEqual([expect.objectContaining({ kind: 'User', name: 'codedance-engine' })]);
    }
  });
});

// ---- IAM in serverless.yml ---------------------------------------------------------------------------
const INTRINSICS = ['GetAtt', 'Ref', 'Join', 'Sub', 'Select', 'If', 'Equals', 'ImportValue', 'Split'];
const longForm = (name: string, v: unknown) => (name === 'Ref' ? { Ref: v } : name === 'GetAtt' && typeof v === 'string' ? { 'Fn::GetAtt': v.split('.') } : { [`Fn::${name}`]: v });
const cfnTags = INTRINSICS.flatMap((name): (ScalarTag | CollectionTag)[] => [
  { tag: `!${name}`, resolve: (v: string) => longForm(name, v) },
  { tag: `!${name}`, collection: 'seq', resolve: (v) => longForm(name, v.toJSON()) },
]);

interface Statement { Effect: string; Action: string | string[]; Resource: unknown }
const serverless = parse(readFileSync(resolve(ROOT, 'serverless.yml'), 'utf8'), { customTags: cfnTags }) as {
  provider: { iam?: { role?: { statements?: Statement[] } }; iamRoleStatements?: Statement[] };
  resources: { Resources: Record<string, { Type: string }> };
  functions: Record<string, { iamRoleStatements?: unknown; iam?: unknown }>;
};
const statements = serverless.provider.iam?.role?.statements ?? [];
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** The table, its indexes, the queues and the stage's parameters: nothing else may be named. */
const ALLOWED_TYPES: Record<string, string> = { RolloutsTable: 'AWS::DynamoDB::Table', TickQueue: 'AWS::SQS::Queue', TickDeadLetterQueue: 'AWS::SQS::Queue', NotificationQueue: 'AWS::SQS::Queue', NotificationDeadLetterQueue: 'AWS::SQS::Queue' };

function describeResource(resource: unknown): string {
  const r = resource as Record<string, unknown>;
  if (typeof resource === 'string') return resource === '*' ? 'wildcard' : `literal ${resource}`;
  const getAtt = r['Fn::GetAtt'] as string[] | undefined;
  if (getAtt) return getAtt[1] === 'Arn' && ALLOWED_TYPES[getAtt[0]!] ? `arn of ${getAtt[0]}` : `other GetAtt ${getAtt.join('.')}`;
  const join = r['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) {
    const [separator, parts] = join;
    const [first, ...rest] = parts;
    return separator === '/' && describeResource(first) === 'arn of RolloutsTable' && rest.join('/') === 'index/*' ? 'indexes of RolloutsTable' : `other Join ${JSON.stringify(join)}`;
  }
  const sub = r['Fn::Sub'];
  if (typeof sub === 'string') {
    return /^arn:\$\{AWS::Partition\}:ssm:\$\{AWS::Region\}:\$\{AWS::AccountId\}:parameter\/codedance\/\$\{self:provider\.stage\}\/\*$/.test(sub)
      ? 'parameters of the stage' : `other Sub ${sub}`;
  }
  return `unrecognised ${JSON.stringify(resource)}`;
}

/** AWS SDK commands the engine sends, found in its source, and the IAM action each one needs. */
const COMMAND_ACTIONS: Record<string, string[]> = {
  GetItemCommand: ['dynamodb:GetItem'], PutItemCommand: ['dynamodb:PutItem'], DeleteItemCommand: ['dynamodb:DeleteItem'],
  UpdateItemCommand: ['dynamodb:UpdateItem'], QueryCommand: ['dynamodb:Query'], TransactWriteItemsCommand: [],
  SendMessageCommand: ['sqs:SendMessage'], SendMessageBatchCommand: ['sqs:SendMessage'], GetQueueUrlCommand: ['sqs:GetQueueUrl'],
  GetParameterCommand: ['ssm:GetParameter'],
};
/** Inside TransactWriteItems each entry is authorised as its own item action. */
const TRANSACT_ACTIONS: Record<string, string> = { Put: 'dynamodb:PutItem', Delete: 'dynamodb:DeleteItem', Update: 'dynamodb:UpdateItem', ConditionCheck: 'dynamodb:ConditionCheckItem' };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('IAM statements in serverless.yml', () => {
  const allowedActions = new Set(statements.flatMap((s) => list(s.Action)));

  it('has statements, only Allow, and no per-function roles that would bypass them', () => {
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) expect(s.Effect).toBe('Allow');
    expect(serverless.provider.iamRoleStatements).toBeUndefined();
    for (const [name, fn] of Object.entries(serverless.functions)) expect([name, fn.iam ?? fn.iamRoleStatements]).toEqual([name, undefined]);
  });

  it('never grants a wildcard action', () => {
    for (const action of allowedActions) expect(action, action).toMatch(/^(dynamodb|sqs|ssm):[A-Za-z]+$/);
  });

  it("names only the table and its indexes, the queues and the stage's parameters (no Resource '*')", () => {
    for (const s of statements) {
      const described = list(s.Resource).map(describeResource);
      for (const d of described) expect(d, JSON.stringify(s)).toMatch(/^(arn of (RolloutsTable|TickQueue|TickDeadLetterQueue|NotificationQueue|NotificationDeadLetterQueue)|indexes of RolloutsTable|parameters of the stage)$/);
      // A statement's actions belong to the service its resources are in.
      const services = new Set(list(s.Action).map((a) => a.split(':')[0]));
      const kinds = new Set(described.map((d) => (d.includes('Table') ? 'dynamodb' : d.includes('Queue') ? 'sqs' : 'ssm')));
      expect([...services]).toEqual([...kinds]);
    }
    for (const [logicalId, type] of Object.entries(ALLOWED_TYPES)) expect(serverless.resources.Resources[logicalId]?.Type, logicalId).toBe(type);
  });

  it('allows nothing destructive at the table or queue level', () => {
    const destructive = ['dynamodb:DeleteTable', 'dynamodb:UpdateTable', 'dynamodb:Scan', 'sqs:DeleteQueue', 'sqs:PurgeQueue', 'sqs:SetQueueAttributes', 'ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:GetParametersByPath'];
    for (const action of destructive) expect(allowedActions.has(action), action).toBe(false);
  });

  it('allows every AWS call the engine makes (found in lib/ and functions/)', () => {
    const source = [...sourceFiles(resolve(ROOT, 'lib')), ...sourceFiles(resolve(ROOT, 'functions'))].map((f) => readFileSync(f, 'utf8')).join('\n');
    const commands = new Set([...source.matchAll(/new (\w+Command)\(/g)].map((m) => m[1]!));
    expect(commands.size).toBeGreaterThan(0);
    const needed = new Set<string>();
    for (const command of commands) {
      const actions = COMMAND_ACTIONS[command];
      expect(actions, `${command} is sent by the engine: add it and its IAM action to COMMAND_ACTIONS and serverless.yml`).toBeDefined();
      for (const a of actions ?? []) needed.add(a);
    }
    if (commands.has('TransactWriteItemsCommand')) {
      for (const [entry, action] of Object.entries(TRANSACT_ACTIONS)) if (new RegExp(`\\b${entry}: \\{`).test(source)) needed.add(action);
    }
    expect([...needed].filter((a) => !allowedActions.has(a))).toEqual([]);
  });
});
