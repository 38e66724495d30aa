import { ConditionalCheckFailedException, DeleteItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DeliveryClaims } from '../../app/deliver-notification.js';

/**
 * Delivery claims on the rollouts table: item `N#<idempotency key>` / `CLAIM`, created with a conditional
 * put so exactly one worker may send a given job. `expiresAt` (epoch seconds) is the table's TTL attribute.
 */
export class DynamoDeliveryClaims implements DeliveryClaims {
  constructor(private readonly client: DynamoDBClient, private readonly table: string) {}

  async claim(key: string, expiresAt: Date): Promise<boolean> {
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.table,
        Item: { ...claimKey(key), expiresAt: { N: String(Math.floor(expiresAt.getTime() / 1000)) } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(key: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: claimKey(key) }));
  }
}

const claimKey = (key: string) => ({ pk: { S: `N#${key}` }, sk: { S: 'CLAIM' } });
