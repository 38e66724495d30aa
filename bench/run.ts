/**
 * `npm run bench [-- --json]`: the engine's benchmarks on the local emulators. Human-readable by
 * default; with --json one JSON object holding every figure.
 */
import { startDynamoDbLocal } from '../infra/local/aws/dynamodb.js';
import { startSqsLocal } from '../infra/local/aws/sqs.js';
import { benchTicks } from './tick-throughput.js';

const asJson = process.argv.includes('--json');
const say = (line: string): void => { if (!asJson) console.log(line); else process.stderr.write(`${line}\n`); };

process.env.CODEDANCE_LOG_LEVEL ??= 'error';
say('[bench] starting DynamoDB Local and local-aws-sqs');
const dynamo = await startDynamoDbLocal();
const sqs = await startSqsLocal();
try {
  say('[bench] 200 concurrent rollouts, fake cluster and metrics');
  const ticks = await benchTicks({ dynamodb: dynamo.endpoint, sqs: sqs.endpoint });
  const report = { ticks };
  if (asJson) console.log(JSON.stringify(report));
  else {
    say(`ticks: ${ticks.ticks} over ${ticks.rollouts} rollouts (${ticks.completed} completed), ${ticks.ticksPerSecond} ticks/s`);
    say(`tick latency  p50 ${ticks.tickLatencyMs.p50} ms  p99 ${ticks.tickLatencyMs.p99} ms`);
    say(`raw I/O floor p50 ${ticks.floorLatencyMs.p50} ms  p99 ${ticks.floorLatencyMs.p99} ms`);
    say(`ratio (p50 tick / p50 floor) ${ticks.ratioP50}  (target ≤ 1.25; ≥ 200 ticks/s)`);
  }
} finally {
  await sqs.stop();
  await dynamo.stop();
}
