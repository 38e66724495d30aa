import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DependencyError } from '../../app/errors.js';

/**
 * DynamoDB answers that say "not now" rather than "never": throttling (the SDK has already spent its
 * own retries by the time one reaches us) and the service's 5xx. They become a transient
 * DependencyError so the tick fails, SQS redelivers it after the visibility timeout, and the HTTP
 * layer answers 503 instead of 500. Anything else (a validation error is a bug) passes through.
 */
const TRANSIENT_NAMES = new Set([
  'ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded',
  'InternalServerError', 'ServiceUnavailable', 'TransactionInProgressException',
]);
const TRANSIENT_CANCELLATIONS = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded']);

export function dynamoFault(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof DependencyError) return error;
  const throttledTransaction = error instanceof TransactionCanceledException
    && (error.CancellationReasons ?? []).some((r) => r.Code !== undefined && TRANSIENT_CANCELLATIONS.has(r.Code));
  if (!TRANSIENT_NAMES.has(error.name) && !throttledTransaction) return error;
  return new DependencyError('dynamodb', `${error.name}: ${error.message}`, true, { cause: error });
}

/** Runs one DynamoDB call, translating transient faults (see dynamoFault). */
export async function dynamo<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw dynamoFault(error);
  }
}
