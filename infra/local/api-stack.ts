/**
 * The engine's API running locally: DynamoDB Local + local-aws-sqs (or the user's localstack when
 * AWS_ENDPOINT_URL is set), the resources from serverless.yml, `osls offline` serving the handlers, and three
 * pollers standing in for the SQS event source mappings (tick queue → tick, DLQ → deadLetter,
 * notification queue → notify). Over HTTP by default; with `https: true` over HTTPS with a certificate from
 * the machine's local CA (infra/local/tls.ts), which a kube-apiserver needs to call the admission webhook.
 */
import { randomBytes } from 'node:crypto';
import { get as httpsGet } from 'node:https';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assertPortFree, freePort, spawnGroup, stopGroup, waitFor, type Group } from './child-processes.js';
import { startDynamoDbLocal } from './aws/dynamodb.js';
import { createResourcesFromServerlessYml, type LocalResources } from './aws/resources.js';
import { readServerlessYml, resolveString } from './aws/serverless-yml.js';
import { startSqsLocal } from './aws/sqs.js';
import { invokeViaServerlessOffline, offlineFunctionName, startSqsPoller, type SqsPoller } from './aws/sqs-poller.js';
import { LOCAL_CREDENTIALS, localSqs } from './aws/clients.js';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { ensureLocalTls, type LocalTls } from './tls.js';

export interface LocalApiOptions {
  /** HTTP port of the API (default 3000). */
  port?: number;
  /** Port of serverless-offline's Lambda invoke API; default env CODEDANCE_LAMBDA_PORT, else a free port. */
  lambdaPort?: number;
  stage?: string;
  /** Default: serverless.yml's provider.region (eu-west-1). */
  region?: string;
  /** Keep DynamoDB data in this directory; default: in memory. */
  dataDir?: string;
  /** Directory with serverless.yml and node_modules; default: the current directory. */
  serviceDir?: string;
  /** Default: env CODEDANCE_API_TOKEN, else a fresh random token. */
  token?: string;
  /** The environment to start from (CODEDANCE_* and AWS_ENDPOINT_URL are honoured); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Progress lines; default stderr with a `[start-api]` prefix. */
  log?: (line: string) => void;
  /** Output of osls offline (handler logs included); default stderr with an `[offline]` prefix. */
  offlineOutput?: (line: string) => void;
  /**
   * For tests: short visibility timeout, fewer receives before the DLQ. (For fresh resource names use a
   * unique `stage`: provider.environment in serverless.yml overrides CODEDANCE_TABLE from the environment.)
   */
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  /**
   * Serve the API over HTTPS (serverless-offline's --httpsProtocol) with a certificate for 127.0.0.1 and
   * localhost issued by the local CA; `tls` on the result has the CA to trust. Default: plain HTTP.
   */
  https?: boolean;
  /** Where the local CA and certificate are cached (default ~/.cache/codedance/tls). */
  tlsDir?: string;
}

export interface LocalApi {
  url: string;
  token: string;
  stage: string;
  region: string;
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  /** serverless-offline's Lambda invoke API (POST /2015-03-31/functions/<name>/invocations). */
  lambdaPort: number;
  resources: LocalResources;
  /** With `https: true`: the local CA (`caPem` for clients, `caBundle` for a webhook configuration). */
  tls?: LocalTls;
  /** The invoke name of a function key from serverless.yml, e.g. 'tick' → 'codedance-local-tick'. */
  functionName(key: string): string;
  /** Stops pollers, osls offline, SQS and DynamoDB, in that order. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startLocalApi(options: LocalApiOptions = {}): Promise<LocalApi> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[start-api] ${line}\n`));
  const env = options.env ?? process.env;
  const serviceDir = resolve(options.serviceDir ?? process.cwd());
  const doc = readServerlessYml(serviceDir);
  const stage = options.stage ?? 'local';
  const region = options.region ?? resolveString(doc.provider.region ?? 'eu-west-1', doc, { opt: {} });
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async (): Promise<void> => { for (const stop of stops.splice(0).reverse()) await stop().catch((err: unknown) => log(`while stopping: ${String(err)}`)); };
  const began = Date.now();
  const elapsed = (): string => `${((Date.now() - began) / 1000).toFixed(1)} s`;

  const port = options.port ?? 3000;
  // Checked first, before the slow parts: another server there could answer /healthz and pass for ours.
  await assertPortFree(port);
  try {
    let dynamodbEndpoint: string;
    let sqsEndpoint: string;
    const shared = env.AWS_ENDPOINT_URL;
    if (shared) {
      log(`AWS_ENDPOINT_URL is set: using ${shared} (e.g. localstack) instead of starting emulators`);
      dynamodbEndpoint = sqsEndpoint = shared;
    } else {
      log(options.dataDir ? `starting DynamoDB Local (data in ${options.dataDir}) and local-aws-sqs ...` : 'starting DynamoDB Local (in memory) and local-aws-sqs ...');
      const [dynamo, sqs] = await Promise.all([startDynamoDbLocal({ dataDir: options.dataDir }), startSqsLocal({ region })]);
      stops.push(dynamo.stop, sqs.stop);
      dynamodbEndpoint = dynamo.endpoint;
      sqsEndpoint = sqs.endpoint;
      log(`emulators up after ${elapsed()}`);
    }
    const resources = await createResourcesFromServerlessYml({
      stage, region, serviceDir, dynamodbEndpoint, sqsEndpoint,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds, maxReceiveCount: options.maxReceiveCount,
    });
    log(`table ${resources.tableName}, queues ${resources.tickQueueName} (+ -dlq) ready`);

    const token = options.token ?? env.CODEDANCE_API_TOKEN ?? randomBytes(24).toString('base64url');
    const lambdaPort = options.lambdaPort ?? (Number(env.CODEDANCE_LAMBDA_PORT) || (await freePort()));
    const tls = options.https ? ensureLocalTls(options.tlsDir) : undefined;
    const output = options.offlineOutput ?? ((line) => process.stderr.write(`[offline] ${line}\n`));
    const offline = startOffline({ serviceDir, stage, region, httpsDir: tls?.serverDir, env: {
      ...offlineEnv(env, { region, dynamodbEndpoint, sqsEndpoint, emulated: !shared }),
      CODEDANCE_API_TOKEN: token, CODEDANCE_HTTP_PORT: String(port), CODEDANCE_LAMBDA_PORT: String(lambdaPort),
    }, output: (line) => output(redactWebhookSecrets(line)) });
    stops.push(() => stopGroup(offline));
    log(`starting osls offline (stage ${stage}, region ${region}${tls ? ', HTTPS' : ''}) ...`);
    const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    await waitFor(`${url}/healthz`, async () => (await statusOf(`${url}/healthz`, tls?.caPem)) === 200, offline, 180_000);
    log(`API answering after ${elapsed()}`);

    const functionName = (key: string): string => offlineFunctionName(doc.service, stage, key);
    // The event source mappings of serverless.yml: tick queue → tick, dead-letter queue → deadLetter,
    // notification queue → notify.
    const notificationQueueUrl = await queueUrlByName(sqsEndpoint, region, resolveString('${self:custom.notificationQueueName}', doc, { opt: { stage, region } }));
    const mappings = [
      { queueUrl: resources.tickQueueUrl, key: 'tick' }, { queueUrl: resources.deadLetterQueueUrl, key: 'deadLetter' },
      { queueUrl: notificationQueueUrl, key: 'notify' },
    ];
    const pollers: SqsPoller[] = await Promise.all(mappings.map(({ queueUrl, key }) => startSqsPoller({
      queueUrl, sqsEndpoint, region, deliver: invokeViaServerlessOffline(functionName(key), lambdaPort),
      log: (line) => log(`poller ${key}: ${line}`),
    })));
    for (const p of pollers) stops.push(p.stop);

    return { url, token, stage, region, dynamodbEndpoint, sqsEndpoint, lambdaPort, resources, ...(tls ? { tls } : {}), functionName, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The status of a GET; over HTTPS trusting only the given CA (what a client of the local API does). */
async function statusOf(url: string, caPem: string | undefined): Promise<number> {
  if (!url.startsWith('https:')) return (await fetch(url, { signal: AbortSignal.timeout(5000) })).status;
  return new Promise((resolve, reject) => {
    const request = httpsGet(url, { ca: caPem, timeout: 5000 }, (response) => { response.resume(); resolve(response.statusCode ?? 0); });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}

/**
 * serverless-offline prints every request's path; the admission webhook's path carries the cluster's
 * secret, which must never reach a log: `/admission/<cluster>/<secret>` is printed as `/admission/<cluster>/***`.
 */
export const redactWebhookSecrets = (line: string): string => line.replace(/(\/admission\/[^/\s]+\/)[^/\s?#"'(){}][^/\s?#"'()]*/g, '$1***');

async function queueUrlByName(sqsEndpoint: string, region: string, name: string): Promise<string> {
  const client = localSqs(sqsEndpoint, { region });
  try {
    const url = (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
    if (!url) throw new Error(`queue ${name} has no URL`);
    return url;
  } finally {
    client.destroy();
  }
}

/**
 * The handlers' environment. serverless-offline hands its workers only AWS_* variables plus
 * provider.environment unless started with --localEnvironment (which we do), so CODEDANCE_* set by the
 * caller (CODEDANCE_CLUSTERS, CODEDANCE_PROMETHEUS_URL ...) reach them too.
 */
function offlineEnv(base: NodeJS.ProcessEnv, o: { region: string; dynamodbEndpoint: string; sqsEndpoint: string; emulated: boolean }): NodeJS.ProcessEnv {
  const { AWS_PROFILE: _profile, AWS_SESSION_TOKEN: _session, ...rest } = base;
  return {
    ...rest,
    AWS_REGION: o.region,
    AWS_DEFAULT_REGION: o.region,
    // Fixed dummy keys: the emulators accept anything, and a developer's real keys stay out of the handlers.
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    // The SDK v3 honours service-specific endpoints; with AWS_ENDPOINT_URL (localstack) it already points everywhere.
    ...(o.emulated ? { AWS_ENDPOINT_URL_DYNAMODB: o.dynamodbEndpoint, AWS_ENDPOINT_URL_SQS: o.sqsEndpoint } : {}),
    SLS_TELEMETRY_DISABLED: '1',
  };
}

function startOffline(o: { serviceDir: string; stage: string; region: string; httpsDir?: string; env: NodeJS.ProcessEnv; output: (line: string) => void }): Group {
  // The local binary directly: npx would add a second or two and an npm process to the group.
  const bin = join(o.serviceDir, 'node_modules', '.bin', 'osls');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm install`);
  // --httpsProtocol: the API (not the Lambda invoke port, which the pollers call) serves TLS with cert.pem/key.pem there.
  const https = o.httpsDir ? ['--httpsProtocol', o.httpsDir] : [];
  return spawnGroup('osls offline', bin, ['offline', 'start', '--stage', o.stage, '--region', o.region, '--localEnvironment', ...https], { cwd: o.serviceDir, env: o.env, onLine: o.output });
}
