import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, type CollectionTag, type ScalarTag } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `osls package --stage prod` as a deployer runs it, offline and without AWS credentials, then the
 * CloudFormation template it produced is checked resource by resource. The service is packaged from a
 * scratch directory (symlinks to the code) so its .esbuild/.serverless work folders never disturb an
 * `osls offline` another test or person is running from the repository.
 */
const ROOT = resolve(import.meta.dirname, '../..');
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- CloudFormation JSON, asserted field by field

let dir = '';
let template: Json;
let resources: Record<string, Json>;

const cfnTags = ['GetAtt', 'Ref', 'Join', 'Sub'].flatMap((name): (ScalarTag | CollectionTag)[] => [
  { tag: `!${name}`, resolve: (v: string) => ({ [name]: v }) },
  { tag: `!${name}`, collection: 'seq', resolve: (v) => ({ [name]: v.toJSON() }) },
]);
const serverless = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { customTags: cfnTags }) as {
  functions: Record<string, { handler: string; timeout?: number; events?: { httpApi?: { method: string; path: string }; schedule?: string; sqs?: unknown }[] }>;
};
/** The framework's logical id of a function: first letter upper-cased, '-' and '_' spelt out. */
const logicalId = (fn: string) => `${fn[0]!.toUpperCase()}${fn.slice(1).replace(/-/g, 'Dash').replace(/_/g, 'Underscore')}LambdaFunction`;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const getAtt = (id: string, attr = 'Arn') => ({ 'Fn::GetAtt': [id, attr] });

function runPackage(cwd: string): Promise<string> {
  return new Promise((done, fail) => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, HOME: process.env.HOME, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off',
      // osls may insist on credentials to exist; packaging never uses them.
      AWS_ACCESS_KEY_ID: 'packaging-only', AWS_SECRET_ACCESS_KEY: 'packaging-only',
    };
    const child = spawn(join(ROOT, 'node_modules/.bin/osls'), ['package', '--stage', 'prod'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += String(d); });
    child.stderr.on('data', (d) => { output += String(d); });
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done(output) : fail(new Error(`osls package exited ${code}:\n${output}`))));
  });
}

describe('the packaged CloudFormation template (osls package --stage prod)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'codedance-package-'));
    for (const file of ['serverless.yml', 'package.json', 'tsconfig.json']) cpSync(join(ROOT, file), join(dir, file));
    // The code, the esbuild plugins (infra/build) and, when built, the dashboard files the package includes.
    for (const link of ['functions', 'lib', 'infra', 'node_modules']) symlinkSync(join(ROOT, link), join(dir, link));
    if (existsSync(join(ROOT, '.build/web'))) {
      mkdirSync(join(dir, '.build'));
      symlinkSync(join(ROOT, '.build/web'), join(dir, '.build/web'));
    }
    await runPackage(dir);
    template = JSON.parse(readFileSync(join(dir, '.serverless/cloudformation-template-update-stack.json'), 'utf8'));
    resources = template.Resources;
  }, 400_000);

  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('is self-consistent: every Ref, GetAtt and DependsOn names a resource of the template', () => {
    const ids = new Set(Object.keys(resources));
    const problems: string[] = [];
    const visit = (node: Json, where: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${where}[${i}]`));
      if (node === null || typeof node !== 'object') return;
      if (typeof node.Ref === 'string' && !node.Ref.startsWith('AWS::') && !ids.has(node.Ref)) problems.push(`${where}: Ref ${node.Ref}`);
      if (Array.isArray(node['Fn::GetAtt']) && !ids.has(node['Fn::GetAtt'][0])) problems.push(`${where}: GetAtt ${node['Fn::GetAtt'][0]}`);
      for (const [k, v] of Object.entries(node)) visit(v, `${where}.${k}`);
    };
    visit(resources, 'Resources');
    visit(template.Outputs, 'Outputs');
    for (const [id, r] of Object.entries(resources)) for (const d of [r.DependsOn ?? []].flat()) if (!ids.has(d)) problems.push(`${id}: DependsOn ${d}`);
    expect(problems).toEqual([]);
    expect(template.AWSTemplateFormatVersion).toBe('2010-09-09');
  });

  it('has every function of serverless.yml, bundled, on Node 22 arm64, with the shared role', () => {
    const names = Object.keys(serverless.functions);
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) {
      const fn = resources[logicalId(name)];
      expect(fn?.Type, name).toBe('AWS::Lambda::Function');
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: serverless.functions[name]!.handler, Role: getAtt('IamRoleLambdaExecution') });
      expect(fn.Properties.Environment.Variables).toMatchObject({ CODEDANCE_TABLE: 'codedance-prod', CODEDANCE_TICK_QUEUE_NAME: 'codedance-prod-ticks', CODEDANCE_API_TOKEN_PARAMETER: '/codedance/prod/api-tokens' });
      // No secret value is baked into the template: secrets are read from SSM at run time.
      expect(Object.keys(fn.Properties.Environment.Variables).filter((k) => /(TOKEN|SECRET)$/.test(k))).toEqual([]);
      const zip = join(dir, '.serverless', `${name}.zip`);
      expect(existsSync(zip) && statSync(zip).size > 1000, `${name}.zip`).toBe(true);
    }
  });

  it('has the table with both indexes, point-in-time recovery and TTL', () => {
    const table = resources.RolloutsTable;
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    expect(table.Properties).toMatchObject({
      TableName: 'codedance-prod', BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    expect(table.Properties.GlobalSecondaryIndexes.map((i: Json) => i.IndexName).sort()).toEqual(['byCreated', 'byDue']);
  });

  it('has the tick and notification queues, each redriving to its DLQ, with visibility above the consumer timeout', () => {
    const timeoutOf = (fn: string) => resources[logicalId(fn)].Properties.Timeout as number;
    for (const [queue, dlq, consumer] of [['TickQueue', 'TickDeadLetterQueue', 'tick'], ['NotificationQueue', 'NotificationDeadLetterQueue', 'notify']] as const) {
      expect(resources[queue].Type).toBe('AWS::SQS::Queue');
      expect(resources[dlq].Type).toBe('AWS::SQS::Queue');
      expect(resources[queue].Properties.RedrivePolicy).toMatchObject({ deadLetterTargetArn: getAtt(dlq), maxReceiveCount: expect.any(Number) });
      expect(resources[queue].Properties.VisibilityTimeout).toBeGreaterThan(timeoutOf(consumer));
      expect(resources[dlq].Properties.MessageRetentionPeriod).toBe(1209600);
    }
  });

  it('wires each queue to its consumer with partial batch failures', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties);
    for (const [queue, fn] of [['TickQueue', 'tick'], ['TickDeadLetterQueue', 'deadLetter'], ['NotificationQueue', 'notify']] as const) {
      expect(mappings, `${queue} → ${fn}`).toContainEqual(expect.objectContaining({
        EventSourceArn: getAtt(queue), FunctionName: getAtt(logicalId(fn)), FunctionResponseTypes: ['ReportBatchItemFailures'],
      }));
    }
  });

  it('alarms on anything dead-lettered and on tick function errors', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    // The tick DLQ is drained within seconds by its own consumer: alarm on what arrived, not on its depth.
    expect(alarms).toContainEqual(expect.objectContaining({
      Namespace: 'AWS/SQS', MetricName: 'NumberOfMessagesReceived', Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [{ Name: 'QueueName', Value: getAtt('TickDeadLetterQueue', 'QueueName') }],
    }));
    expect(alarms).toContainEqual(expect.objectContaining({
      Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold',
      Dimensions: [{ Name: 'QueueName', Value: getAtt('NotificationDeadLetterQueue', 'QueueName') }],
    }));
    expect(alarms).toContainEqual(expect.objectContaining({
      Namespace: 'AWS/Lambda', MetricName: 'Errors', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'TickLambdaFunction' } }],
    }));
    for (const alarm of alarms) expect(alarm.AlarmActions, 'every alarm notifies someone').toEqual([{ Ref: 'AlarmTopic' }]);
    expect(resources.AlarmTopic.Type).toBe('AWS::SNS::Topic');
  });

  it('schedules every scheduled function (the sweeper every minute)', () => {
    const rules = ofType('AWS::Events::Rule').map(([, r]) => r.Properties);
    const scheduled = Object.entries(serverless.functions).filter(([, f]) => f.events?.some((e) => e.schedule));
    expect(scheduled.map(([n]) => n)).toContain('sweeper');
    for (const [name, fn] of scheduled) {
      const expression = fn.events!.find((e) => e.schedule)!.schedule;
      expect(rules, name).toContainEqual(expect.objectContaining({ ScheduleExpression: expression, State: 'ENABLED', Targets: [expect.objectContaining({ Arn: getAtt(logicalId(name)) })] }));
    }
  });

  it('has the HTTP API with one route per httpApi event, each integrated with its function', () => {
    expect(ofType('AWS::ApiGatewayV2::Api')).toHaveLength(1);
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
    const expected = Object.entries(serverless.functions).flatMap(([name, f]) => (f.events ?? []).flatMap((e) => (e.httpApi ? [{ name, key: `${e.httpApi.method.toUpperCase()} ${e.httpApi.path}` }] : [])));
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(expected.map((e) => e.key).sort());
    for (const { name, key } of expected) {
      const route = routes.find((r) => r.RouteKey === key);
      const integrationId = route.Target['Fn::Join'][1][1].Ref as string;
      expect(resources[integrationId].Properties, key).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0', IntegrationUri: getAtt(logicalId(name)) });
    }
  });

  it('gives the functions least-privilege IAM: no wildcard action, and only the table, queues, parameters and own log groups', () => {
    const role = resources.IamRoleLambdaExecution;
    expect(role.Properties.ManagedPolicyArns ?? []).toEqual([]);
    const statements: Json[] = role.Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement);
    const allowedTargets = ['RolloutsTable', 'TickQueue', 'TickDeadLetterQueue', 'NotificationQueue', 'NotificationDeadLetterQueue'];
    for (const s of statements) {
      expect(s.Effect).toBe('Allow');
      for (const action of [s.Action].flat()) expect(action, JSON.stringify(s)).toMatch(/^(dynamodb|sqs|ssm|logs):[A-Za-z]+$/);
      for (const resource of [s.Resource].flat()) {
        const text = JSON.stringify(resource);
        expect(resource, 'never Resource: *').not.toBe('*');
        const ok = (resource['Fn::GetAtt'] && allowedTargets.includes(resource['Fn::GetAtt'][0]) && resource['Fn::GetAtt'][1] === 'Arn')
          || (resource['Fn::Join'] && text === JSON.stringify({ 'Fn::Join': ['/', [getAtt('RolloutsTable'), 'index/*']] }))
          || resource['Fn::Sub'] === 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/codedance/prod/*'
          || /^arn:\$\{AWS::Partition\}:logs:\$\{AWS::Region\}:\$\{AWS::AccountId\}:log-group:\/aws\/lambda\/codedance-prod\*:\*(:\*)?$/.test(resource['Fn::Sub'] ?? '');
        expect(ok, `unexpected resource ${text} in ${JSON.stringify(s.Action)}`).toBeTruthy();
      }
    }
    const actions = new Set(statements.flatMap((s) => [s.Action].flat()));
    for (const needed of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'sqs:SendMessage', 'ssm:GetParameter']) expect(actions.has(needed), needed).toBe(true);
  });

  it('keeps the logs for 30 days', () => {
    const groups = ofType('AWS::Logs::LogGroup');
    expect(groups.length).toBe(Object.keys(serverless.functions).length);
    for (const [, g] of groups) expect(g.Properties.RetentionInDays).toBe(30);
  });
});
