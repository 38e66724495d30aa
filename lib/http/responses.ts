import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import type { FieldProblem } from '../domain/validation.js';

export type HttpResult = Exclude<APIGatewayProxyResultV2, string>;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** The one error body of the API: `{"error":{"code","message","details":[{"path","message"}]}}`. */
export function errorBody(statusCode: number, code: string, message: string, details: FieldProblem[] = []): HttpResult {
  return json(statusCode, { error: { code, message, details } });
}

/** A refusal raised by the HTTP edge itself (auth, size, content type, syntax). */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details: FieldProblem[] = []) {
    super(message);
    this.name = 'HttpError';
  }
}
