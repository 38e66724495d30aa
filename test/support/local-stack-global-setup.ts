import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../infra/local/aws/dynamodb.js';
import { startSqsLocal } from '../../infra/local/aws/sqs.js';
import { prepareLocalStack } from './prepare-global-setup.js';

declare module 'vitest' {
  export interface ProvidedContext {
    aws: { dynamodbEndpoint: string; sqsEndpoint: string };
  }
}

/**
 * Everything the integration and end-to-end tests need, installed or built before any test runs (so a
 * fresh machine's one-time Go build is not charged to a test's timeout, and its progress is shown):
 * Java for DynamoDB Local, Debian's Prometheus, and the Kubernetes binaries. Then one DynamoDB Local
 * and one local-aws-sqs for the whole run (the JVM start is the slow part); each test file creates its
 * own table and queues under a unique suffix.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await prepareLocalStack();
  const dynamo = await startDynamoDbLocal();
  const sqs = await startSqsLocal();
  project.provide('aws', { dynamodbEndpoint: dynamo.endpoint, sqsEndpoint: sqs.endpoint });
  return async () => {
    await sqs.stop();
    await dynamo.stop();
  };
}
