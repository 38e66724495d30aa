import {
  DynamoDBClient, ProvisionedThroughputExceededException, TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { localDynamoDb } from '../../infra/local/aws/clients.js';
import { DynamoRolloutStore } from '../../lib/adapters/dynamodb/rollout-store.js';
import { seededRandom } from './faulty-queue.js';

/**
 * A real DynamoDB client (on DynamoDB Local) whose calls can be throttled the way DynamoDB does it:
 * single-item calls fail with ProvisionedThroughputExceededException, transactions are cancelled with
 * a ThrottlingError reason. The fault is thrown inside the SDK's middleware stack, before the request
 * is sent, so what the store adapter sees is exactly the SDK's error once its own retries are spent.
 */
export interface ThrottledDynamoDb {
  client: DynamoDBClient;
  store: DynamoRolloutStore;
  /** Share of calls (0..1) to throttle from now on; 0 clears the fault. */
  throttle(share: number): void;
  /** How many calls were throttled so far. */
  readonly throttled: number;
}

export function throttledDynamoDb(endpoint: string, table: string, seed = 7): ThrottledDynamoDb {
  const client = localDynamoDb(endpoint);
  const random = seededRandom(seed);
  let share = 0;
  let throttled = 0;
  client.middlewareStack.add((next, context) => async (args) => {
    if (share > 0 && random() < share) {
      throttled++;
      const $metadata = { httpStatusCode: 400, attempts: 3 };
      if (context.commandName === 'TransactWriteItemsCommand') {
        throw new TransactionCanceledException({
          message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [ThrottlingError]', $metadata,
          CancellationReasons: [{ Code: 'ThrottlingError', Message: 'Throughput exceeds the current capacity of your table or index.' }],
        });
      }
      throw new ProvisionedThroughputExceededException({ message: 'The level of configured provisioned throughput for the table was exceeded.', $metadata });
    }
    return next(args);
  }, { step: 'initialize', name: 'injectThrottling' });
  return {
    client,
    store: new DynamoRolloutStore(client, table),
    throttle: (s) => { share = s; },
    get throttled() { return throttled; },
  };
}
