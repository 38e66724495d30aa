/**
 * `npm run bench [-- --json] [--only ticks,rollback,decisions,coldstart,scale] [--scale-rollouts 1000]`: the engine's benchmarks. Human-readable
 * by default; with --json one JSON object holding every figure.
 *   ticks      200 concurrent rollouts on DynamoDB Local and local-aws-sqs (fake cluster and metrics):
 *              tick latency and ticks/s against the raw I/O floor measured in the same run
 *   rollback   time to rollback of a faulty canary on the full local stack (5 runs)
 *   releases   a release of 50 services over 3 clusters: wall time against the critical path, peak, lateness
 *   decisions  synthetic scenarios replayed through the analysis code (no Prometheus)
 *   coldstart  bundle size and cold import time per function, on the artifacts `osls package` builds
 *   scale      1,000 concurrent rollouts over 3 clusters: lateness, ticks/s, floor, AWS requests, memory
 */
import { startDynamoDbLocal } from '../infra/local/aws/dynamodb.js';
import { startSqsLocal } from '../infra/local/aws/sqs.js';
import { benchColdStart, printColdStart } from './cold-start.js';
import { benchDecisions } from './decisions.js';
import { benchScale, printScale } from './scale.js';
import { benchReleaseWaves, printReleaseWaves } from './release-waves.js';
import { benchTicks } from './tick-throughput.js';
import { benchTimeToRollback } from './time-to-rollback.js';

const asJson = process.argv.includes('--json');
const onlyArg = process.argv.find((a, i) => process.argv[i - 1] === '--only');
const scaleRollouts = Number(process.argv.find((a, i) => process.argv[i - 1] === '--scale-rollouts') ?? 1000);
if (!Number.isInteger(scaleRollouts) || scaleRollouts < 1) throw new Error('--scale-rollouts: must be a positive whole number');
const only = new Set((onlyArg ?? 'ticks,rollback,decisions,coldstart,scale,releases').split(','));
const say = (line: string): void => { if (asJson) process.stderr.write(`${line}\n`); else console.log(line); };
process.env.CODEDANCE_LOG_LEVEL ??= 'error';

const report: Record<string, unknown> = {};

if (only.has('ticks')) {
  say('[bench] ticks: 200 concurrent rollouts on DynamoDB Local and local-aws-sqs, fake cluster and metrics');
  const dynamo = await startDynamoDbLocal();
  const sqs = await startSqsLocal();
  try {
    // DynamoDB Local is a JVM: its first thousand requests run interpreted. Warm it up, then measure.
    await benchTicks({ dynamodb: dynamo.endpoint, sqs: sqs.endpoint }, 200);
    const ticks = await benchTicks({ dynamodb: dynamo.endpoint, sqs: sqs.endpoint });
    report.ticks = ticks;
    say(`  ${ticks.ticks} ticks over ${ticks.rollouts} rollouts (${ticks.completed} completed): ${ticks.ticksPerSecond} ticks/s (target ≥ 200)`);
    say(`  tick latency  p50 ${ticks.tickLatencyMs.p50} ms  p99 ${ticks.tickLatencyMs.p99} ms`);
    say(`  raw I/O floor p50 ${ticks.floorLatencyMs.p50} ms  p99 ${ticks.floorLatencyMs.p99} ms`);
    say(`  ratio p50 tick / p50 floor ${ticks.ratioP50} (target ≤ 1.25)`);
  } finally {
    await sqs.stop();
    await dynamo.stop();
  }
}

if (only.has('rollback')) {
  say('[bench] rollback: faulty canary on the full local stack, 1 s scrape, 2 s analysis interval, 5 runs');
  const rollback = await benchTimeToRollback(5, say);
  report.timeToRollback = rollback;
  say(`  detection median ${rollback.detectionSeconds.median} s, max ${rollback.detectionSeconds.max} s`);
  say(`  action    median ${rollback.actionSeconds.median} s, max ${rollback.actionSeconds.max} s`);
  say(`  total     median ${rollback.totalSeconds.median} s, max ${rollback.totalSeconds.max} s (target ≤ 10 s)`);
}

if (only.has('releases')) {
  say('[bench] releases: 50 services over 3 clusters in two waves (maxParallel 10), DynamoDB Local and local-aws-sqs, fake clusters, 16 concurrent tick consumers (Lambda scales its SQS pollers)');
  const dynamo = await startDynamoDbLocal();
  const sqs = await startSqsLocal();
  try {
    const releases = await benchReleaseWaves({ dynamodb: dynamo.endpoint, sqs: sqs.endpoint }, 50, 16, say);
    report.releases = releases;
    printReleaseWaves(releases, say);
  } finally {
    await sqs.stop();
    await dynamo.stop();
  }
}

if (only.has('decisions')) {
  say('[bench] decisions: synthetic scenarios through the analysis code (npm run bench:decisions shows the full table)');
  const decisions = await benchDecisions();
  report.decisions = decisions;
  for (const t of decisions.targets) say(`  ${t.met ? 'met ' : 'MISS'} ${t.target}: ${t.scenario} (${t.judge}) ${Math.round(t.actual * 1000) / 10}% — goal ${t.goal}${t.met ? '' : `, missed by ${t.missedByPoints} points`}`);
}

if (only.has('coldstart')) {
  say('[bench] coldstart: per-function bundles as deployed (osls package), cold import on this Node');
  const coldStart = await benchColdStart(say);
  report.coldStart = coldStart;
  printColdStart(coldStart, say);
}

if (only.has('scale')) {
  say(`[bench] scale: ${scaleRollouts} concurrent rollouts of 10 steps over 3 clusters, DynamoDB Local and local-aws-sqs`);
  const scale = await benchScale(say, scaleRollouts);
  report.scale = scale;
  printScale(scale, say);
}

if (asJson) console.log(JSON.stringify(report));
