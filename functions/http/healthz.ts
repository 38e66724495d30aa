import middy from '@middy/core';

/** Liveness for load balancers and the local stack's readiness check; needs no token. */
export const handler = middy().handler(async () => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ status: 'ok' }),
}));
