/**
 * `npm run start:api [-- --port 3000] [--data-dir .data/dynamodb] [--stage local] [--region eu-west-1] [--info-file f.json]`
 * Runs the engine's API locally until Ctrl-C. Facts go to stdout (then `ready`), progress to stderr.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startLocalApi } from './api-stack.js';

const log = (line: string): void => { process.stderr.write(`[start-api] ${line}\n`); };

const flagsSchema = z.object({
  port: z.coerce.number().int().min(1).max(65535).default(3000),
  'data-dir': z.string().min(1).optional(),
  stage: z.string().regex(/^[a-zA-Z0-9-]+$/, 'letters, digits and dashes only').default('local'),
  region: z.string().min(1).optional(),
  'info-file': z.string().min(1).optional(),
});

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' }, 'data-dir': { type: 'string' }, stage: { type: 'string' }, region: { type: 'string' }, 'info-file': { type: 'string' } } });
  const flags = flagsSchema.safeParse(values);
  if (!flags.success) throw new Error(flags.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
  const { port, stage, region, 'data-dir': dataDir, 'info-file': infoFile } = flags.data;

  const api = await startLocalApi({ port, stage, region, dataDir, log });
  let stoppingSince = 0;
  const shutdown = (signal: string): void => {
    // Ctrl-C reaches us twice under tsx (from the terminal and relayed by tsx's parent process): only a
    // repeat well after the first counts as "stop waiting".
    if (stoppingSince) {
      if (Date.now() - stoppingSince < 2000) return;
      log(`${signal} again: exiting now`);
      process.exit(1);
    }
    stoppingSince = Date.now();
    log(`${signal}: stopping ...`);
    api.stop().then(() => { log('stopped'); process.exit(0); }, (err: unknown) => { log(`stop failed: ${String(err)}`); process.exit(1); });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  const info = {
    url: api.url, token: api.token, dynamodbEndpoint: api.dynamodbEndpoint, sqsEndpoint: api.sqsEndpoint,
    lambdaPort: api.lambdaPort, stage: api.stage, region: api.region, ...api.resources, pid: process.pid,
  };
  if (infoFile) writeFileSync(infoFile, `${JSON.stringify(info, null, 2)}\n`);
  process.stdout.write([
    `API      ${api.url}`,
    `Token    ${api.token}`,
    `DynamoDB ${api.dynamodbEndpoint}`,
    `SQS      ${api.sqsEndpoint}`,
    `Try      curl -sS -X POST ${api.url}/rollouts -H 'Authorization: Bearer ${api.token}' -H 'Content-Type: application/yaml' --data-binary @examples/myapp.yaml`,
    'ready',
    '',
  ].join('\n'));
}

main().catch((err: unknown) => {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
