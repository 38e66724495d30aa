import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';

const context = { awsRequestId: 'test', functionName: 'test', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

export interface Call {
  method: 'GET' | 'POST';
  path: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  body?: string;
  contentType?: string;
  token?: string;
}

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

/** Calls a real HTTP handler in-process with the event API Gateway (HTTP API, payload v2) would send. */
export async function invokeHttp(handler: Handler, call: Call): Promise<{ status: number; body: any }> {
  const event = {
    version: '2.0', rawPath: call.path, rawQueryString: new URLSearchParams(call.query ?? {}).toString(),
    headers: {
      ...(call.token !== undefined ? { authorization: `Bearer ${call.token}` } : {}),
      ...(call.body !== undefined ? { 'content-type': call.contentType ?? 'application/json' } : {}),
    },
    ...(call.pathParameters ? { pathParameters: call.pathParameters } : {}),
    ...(call.query ? { queryStringParameters: call.query } : {}),
    ...(call.body !== undefined ? { body: call.body } : {}),
    isBase64Encoded: false,
    requestContext: { http: { method: call.method, path: call.path } },
  } as unknown as APIGatewayProxyEventV2;
  const out = await handler(event, context);
  if (typeof out === 'string') return { status: 200, body: out };
  const text = String(out.body ?? '');
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: out.statusCode ?? 0, body };
}
