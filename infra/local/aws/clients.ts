/** SDK clients for the local emulators: fixed dummy credentials, an explicit endpoint, no retries on start-up probes. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';

/** Emulators accept any credentials; fixed ones keep a developer's real AWS keys away from them. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const DEFAULT_REGION = 'eu-west-1';

export interface ClientOptions { region?: string; maxAttempts?: number }

export const localDynamoDb = (endpoint: string, opts: ClientOptions = {}): DynamoDBClient =>
  new DynamoDBClient({ endpoint, region: opts.region ?? DEFAULT_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: opts.maxAttempts ?? 3 });

export const localSqs = (endpoint: string, opts: ClientOptions = {}): SQSClient =>
  new SQSClient({ endpoint, region: opts.region ?? DEFAULT_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: opts.maxAttempts ?? 3 });
