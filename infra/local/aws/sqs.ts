/** SQS emulated in-process by `local-aws-sqs` (JSON and Query protocols, delays, visibility, DLQ redrive). */
import { createSqsServer } from 'local-aws-sqs';
import { DEFAULT_REGION } from './clients.js';

export interface SqsLocal {
  /** e.g. http://127.0.0.1:41235 — what AWS_ENDPOINT_URL_SQS should be set to. */
  endpoint: string;
  stop(): Promise<void>;
}

export async function startSqsLocal(options: { port?: number; region?: string } = {}): Promise<SqsLocal> {
  // Loopback only; the region only shows in queue ARNs, but handlers compare ARNs, so match the stack's.
  const server = await createSqsServer({ port: options.port ?? 0, hostname: '127.0.0.1', region: options.region ?? DEFAULT_REGION });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('local-aws-sqs is not listening on a TCP port');
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    stop: () => new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      // SDK clients keep connections alive and pollers hold long polls open; close() alone would wait for them.
      server.closeAllConnections();
    }),
  };
}
