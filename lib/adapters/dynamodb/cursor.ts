import { z } from 'zod';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ValidationError } from '../../domain/validation.js';

/**
 * Pagination cursors are DynamoDB's LastEvaluatedKey of the byCreated index, base64url-encoded. A cursor
 * comes back from the client, so it is checked like any input: DynamoDB answers a forged start key (wrong
 * attributes, another partition, an oversized value) with a ValidationException, which would be a 500.
 */
const value = (pattern: RegExp) => z.strictObject({ S: z.string().max(1024).regex(pattern) });
const keySchema = z.strictObject({
  pk: value(/^[A-Z]+#[A-Za-z0-9_-]{1,64}$/),
  sk: value(/^STATE$/),
  listPk: value(/^[A-Z]+$/),
  createdKey: value(/^\d{4}-\d\d-\d\dT[\d:.]+Z#[A-Za-z0-9_-]{1,64}$/),
});

export function encodeCursor(key: Record<string, AttributeValue>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** `listPk`, when given, is the partition being listed: a cursor from another listing is refused too. */
export function decodeCursor(cursor: string, listPk?: string): Record<string, AttributeValue> {
  const refuse = (): never => {
    throw new ValidationError('The cursor is invalid', [{ path: 'cursor', message: 'must be a nextCursor value returned by a previous page' }]);
  };
  let key: z.infer<typeof keySchema>;
  try {
    key = keySchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    return refuse();
  }
  // The table key and the index key name the same item: pk ends with the id createdKey ends with.
  if (key.pk.S.slice(key.pk.S.indexOf('#')) !== key.createdKey.S.slice(key.createdKey.S.lastIndexOf('#'))) refuse();
  if (listPk !== undefined && key.listPk.S !== listPk) refuse();
  return key;
}
