/**
 * `npm run bench [-- --json] [--only ticks,rollback,decisions,coldstart,scale,releases] [--scale-rollouts 1000]
 *  [--tick-rollouts 200] [--rollback-runs 5,3] [--release-services 50]`: the engine's benchmarks (defaults shown;
 * smaller sizes for a quick look). Human-readable by default; with --json one JSON object holding every figure.
 *   ticks      200 concurrent rollouts on DynamoDB Local and local-aws-sqs (fake cluster and metrics):
 *              tick latency and ticks/s against the raw I/O floor (the ticks' own requests replayed), measured
 *              once alone after the ticks and once beside a second set of ticks
 *   rollback   time to rollback of a faulty canary on the full local stack: 5 runs tuned (2 s analysis
 *              interval, 50 rps), 3 runs with the default analysis (30 s interval, 1 m window) at 20 rps
 *   releases   a release of 50 services over 3 clusters: wall time against the critical path, peak, lateness
 *   decisions  synthetic scenarios replayed through the analysis code (no Prometheus)
 *   coldstart  bundle size and cold import time per function, on the artifacts `osls package` builds
 *   scale      1,000 concurrent rollouts over 3 clusters: lateness, ticks/s, floor, AWS requests, memory
 */
import { startDynamoDbLocal } from '../infra/local/aws/dynamodb.js';
import { startSqsLocal } from '../infra/local/aws/sqs.js';
import { benchColdStart, printColdStart } from './cold-start.js';
import { benchDecisions } from './decisions.js';
import { benchDeclarative, printDeclarative } from './declarative.js';
import { benchScale, printScale } from './scale.js';
import { benchReleaseWaves, printReleaseWaves } from './release-waves.js';
import { benchTicks, printTicks } from './tick-throughput.js';
import { benchTimeToRollback, printTimeToRollback } from './time-to-rollback.js';

const asJson = process.argv.includes('--json');
const onlyArg = process.argv.find((a, i) => process.argv[i - 1] === '--only');
const scaleRollouts = Number(process.argv.find((a, i) => process.argv[i - 1] === '--scale-rollouts') ?? 1000);
const tickRollouts = Number(process.argv.find((a, i) => process.argv[i - 1] === '--tick-rollouts') ?? 200);
const releaseServices = Number(process.argv.find((a, i) => process.argv[i - 1] === '--release-services') ?? 50);
const [tunedRuns = 5, defaultRuns = 3] = (process.argv.find((a, i) => process.argv[i - 1] === '--rollback-runs') ?? '5,3').split(',').map(Number);
for (const [flag, n] of [['--scale-rollouts', scaleRollouts], ['--tick-rollouts', tickRollouts], ['--release-services', releaseServices], ['--rollback-runs', tunedRuns], ['--rollback-runs', defaultRuns]] as const) {
  if (!Number.isInteger(n) || n < 0 || (n === 0 && flag !== '--rollback-runs')) throw new Error(`${flag}: must be a positive whole number`);
}
const only = new Set((onlyArg ?? 'ticks,rollback,decisions,coldstart,scale,releases').split(','));
const say = (line: string): void => { if (asJson) process.stderr.write(`${line}\n`); else console.log(line); };
process.env.CODEDANCE_LOG_LEVEL ??= 'error';

const report: Record<string, unknown> = {};

if (only.has('ticks')) {
  say(`[bench] ticks: ${tickRollouts} concurrent rollouts of 6 steps without pauses (scaleDownDelay 0 s) on DynamoDB Local and local-aws-sqs, fake cluster and metrics; floor = the ticks' own requests replayed without the engine, once alone after the ticks and once beside them`);
  const dynamo = await startDynamoDbLocal();
  const sqs = await startSqsLocal();
  try {
    // DynamoDB Local is a JVM: its first thousand requests run interpreted. Warm it up, then measure.
    await benchTicks({ dynamodb: dynamo.endpoint, sqs: sqs.endpoint }, { rollouts: tickRollouts, floor: false });
    const ticks = await benchTicks({ dynamodb: dynamo.endpoint, sqs: sqs.endpoint }, { rollouts: tickRollouts });
    report.ticks = ticks;
    printTicks(ticks, say);
  } finally {
    await sqs.stop();
    await dynamo.stop();
  }
}

if (only.has('rollback')) {
  say(`[bench] rollback: faulty canary on the full local stack (Prometheus scrape 1 s), ${tunedRuns} runs with the demo's tuned analysis at 50 rps, then ${defaultRuns} with the default analysis at the demo's 20 rps; scaleDownDelay 5 s (after traffic is back on stable: changes no figure)`);
  const rollback = await benchTimeToRollback({ tuned: tunedRuns, defaults: defaultRuns }, say);
  report.timeToRollback = rollback;
  printTimeToRollback(rollback, say);
}

if (only.has('releases')) {
  say(`[bench] releases: ${releaseServices} services over 3 clusters in two waves (maxParallel 10), DynamoDB Local and local-aws-sqs, fake clusters, the tick handler behind 16 concurrent event-source loops (Lambda scales its SQS pollers) that delete only the records it did not report failed; rollouts with scaleDownDelay 0 s`);
  const dynamo = await startDynamoDbLocal();
  const sqs = await startSqsLocal();
  try {
    const releases = await benchReleaseWaves({ dynamodb: dynamo.endpoint, sqs: sqs.endpoint }, releaseServices, 16, say);
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

if (only.has('declarative')) {
  const objectsPerCluster = Number(process.argv.find((a, i) => process.argv[i - 1] === '--declarative-objects') ?? 500);
  if (!Number.isInteger(objectsPerCluster) || objectsPerCluster <= 0) throw new Error('--declarative-objects: must be a positive whole number');
  const parts = (process.argv.find((a, i) => process.argv[i - 1] === '--declarative-parts') ?? 'latency,pass').split(',') as Array<'latency' | 'pass'>;
  say(`[bench] declarative: kubectl apply → first tick (push: 10 samples; sync only: 5 samples), then one sync pass over 3 local clusters × ${objectsPerCluster} CanaryDeployments (parts ${parts.join(',')})`);
  const declarative = await benchDeclarative(say, { objectsPerCluster, parts });
  report.declarative = declarative;
  printDeclarative(declarative, say);
}

if (asJson) console.log(JSON.stringify(report));
