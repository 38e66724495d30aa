import { z } from 'zod';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ValidationError } from '../../domain/validation.js';

/** Pagination cursors are DynamoDB's LastEvaluatedKey, base64url-encoded; string keys only. */
const keySchema = z.record(z.string(), z.object({ S: z.string() }));

export function encodeCursor(key: Record<string, AttributeValue>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string): Record<string, AttributeValue> {
  try {
    return keySchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new ValidationError('The cursor is invalid', [{ path: 'cursor', message: 'must be a nextCursor value returned by a previous page' }]);
  }
}
