import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { ValidationError, type FieldProblem } from '../domain/validation.js';
import { AppError } from '../app/errors.js';
import { authenticate, type ApiToken, type Principal, type Role } from './auth.js';
import { HttpError, errorBody, type HttpResult } from './responses.js';
import { log } from '../log.js';

export interface RouteOptions {
  /** Role the caller needs; `public` routes (healthz) take no token. */
  role: Role | 'public';
  tokens: () => Promise<ApiToken[]>;
}

export type RouteHandler = (event: APIGatewayProxyEventV2, principal: Principal | undefined) => Promise<HttpResult>;

/**
 * The middy chain every HTTP handler shares: authenticate before anything else (a bad token changes
 * nothing), then map every error to the one error body. A 5xx never shows internals; it is logged
 * with the request id instead.
 */
export function route(options: RouteOptions, handler: RouteHandler) {
  return middy<APIGatewayProxyEventV2, HttpResult, Error, Context>()
    .onError(async (request) => {
      request.response = toErrorResponse(request.error, request.context?.awsRequestId);
    })
    .handler(async (event) => {
      const principal = options.role === 'public' ? undefined : authenticate(event, await options.tokens(), options.role);
      return handler(event, principal);
    });
}

/** A 400 always names what was wrong; a refusal raised without a field is about the request as a whole. */
const withPath = (status: number, message: string, details: FieldProblem[]): FieldProblem[] =>
  status === 400 && details.length === 0 ? [{ path: '(request)', message }] : details;

export function toErrorResponse(error: unknown, requestId = 'unknown'): HttpResult {
  if (error instanceof HttpError) return errorBody(error.status, error.code, error.message, withPath(error.status, error.message, error.details));
  if (error instanceof ValidationError) return errorBody(400, 'ValidationFailed', error.message, withPath(400, error.message, error.details));
  if (error instanceof AppError && error.status < 500) return errorBody(error.status, error.code, error.message, withPath(error.status, error.message, error.details));
  const transient = error instanceof AppError;
  log.error('request failed', { requestId, error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error) });
  return errorBody(transient ? 503 : 500, transient ? 'ServiceUnavailable' : 'InternalError', `The request could not be completed (request id ${requestId})`);
}
