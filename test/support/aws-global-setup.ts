import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../infra/local/aws/dynamodb.js';
import { startSqsLocal } from '../../infra/local/aws/sqs.js';

declare module 'vitest' {
  export interface ProvidedContext {
    aws: { dynamodbEndpoint: string; sqsEndpoint: string };
  }
}

/**
 * One DynamoDB Local and one local-aws-sqs for the whole integration run: the JVM start is the
 * slow part. Each test file creates its own table and queues under a unique suffix.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dynamo = await startDynamoDbLocal();
  const sqs = await startSqsLocal();
  project.provide('aws', { dynamodbEndpoint: dynamo.endpoint, sqsEndpoint: sqs.endpoint });
  return async () => {
    await sqs.stop();
    await dynamo.stop();
  };
}
