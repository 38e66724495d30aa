/**
 * Decision benchmark: how often each judge rolls back a healthy canary, and how fast it catches a
 * regressed one, replaying synthetic windows (bench/decision-scenarios.ts) through the real domain
 * code; no Prometheus, no cluster.
 *
 *   npx tsx bench/decisions.ts [--json] [--trials 1000] [--seed 20240601]
 *
 * Judges, each applied to every 60 s window of a trial (up to 10 windows; a rollback ends the rollout):
 * - analyse: the threshold/score analysis as a user would configure it from the stable baseline
 *   (error rate 0.5 %, p99 200 ms): errorRate ≤ 1 % and successRate ≥ 99 % (the product defaults,
 *   i.e. twice the baseline error rate), p99 ≤ 250 ms (baseline + 50 ms), default weights, minRequests
 *   20, autoRollback.onMetricsFail on. Rollback = verdict 'fail' (failureLimit 0).
 * - compare: compareWithStable, confidence 0.95, minEffect 0.5 error-rate points / 25 ms. Rollback =
 *   'worse'.
 * - combined: either of the two (what the engine would do with both enabled).
 * - sensitivity rows (compare only, same windows): confidence 0.99; minEffect 0.25 points; and 'worse'
 *   in two consecutive windows. They show which knob moves which figure, not a recommendation.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { analyse, type AnalysisPolicy, type Verdict } from '../lib/domain/analysis.js';
import { compareWithStable, type ComparisonPolicy, type ComparisonVerdict } from '../lib/domain/compare.js';
import { noData, value, type Measurements } from '../lib/domain/measurement.js';
import { BASELINE, SCENARIOS, STABLE_SIGMA, WINDOW_SECONDS, WindowSimulator, trialRng, type Scenario, type VersionWindow } from './decision-scenarios.js';

export const WINDOWS_PER_TRIAL = 10;
export const DEFAULT_TRIALS = 1000;
export const DEFAULT_SEED = 20240601;

export const ANALYSIS_POLICY: AnalysisPolicy = {
  thresholds: { successRate: 99, errorRate: 1, latencyMs: { p99: BASELINE.p99Ms + 50 }, custom: [] },
  weights: { successRate: 40, latency: 30, errorRate: 30 },
  minRequests: 20,
  hardFailOnBreach: true,
};
export const COMPARISON_POLICY: ComparisonPolicy = { confidence: 0.95, minEffect: { errorRatePoints: 0.5, latencyMs: 25 } };

type Window = { canary: VersionWindow; stable: VersionWindow };
/** A judge is started once per trial (it may keep state) and says, per window, whether to roll back. */
interface JudgeSpec { name: string; start(): (w: Window) => { rollback: boolean; verdict: string } }

const measured = (v: number | null): Measurements['requests'] => (v === null ? noData('no requests') : value(v));
function canaryMeasurements(c: VersionWindow): Measurements {
  const errorRate = c.requests > 0 ? (100 * c.errors) / c.requests : null;
  return {
    requests: value(c.requests),
    // Every non-5xx response is a 2xx in this simulation.
    successRate: measured(errorRate === null ? null : 100 - errorRate),
    errorRate: measured(errorRate),
    latencyMs: { p50: measured(c.p50), p90: measured(c.p90), p99: measured(c.p99) },
    custom: {},
  };
}
const comparisonInput = (w: Window) => ({
  canary: { requests: w.canary.requests, errors: w.canary.errors, latencySeries: w.canary.p99Series },
  stable: { requests: w.stable.requests, errors: w.stable.errors, latencySeries: w.stable.p99Series },
});

const analyseJudge: JudgeSpec = {
  name: 'analyse',
  start: () => (w) => {
    const verdict: Verdict = analyse(canaryMeasurements(w.canary), ANALYSIS_POLICY).verdict;
    return { rollback: verdict === 'fail', verdict };
  },
};
const compareJudge = (name: string, policy: ComparisonPolicy, consecutive = 1): JudgeSpec => ({
  name,
  start: () => {
    let streak = 0;
    return (w) => {
      const verdict: ComparisonVerdict = compareWithStable(comparisonInput(w), policy).verdict;
      streak = verdict === 'worse' ? streak + 1 : 0;
      return { rollback: streak >= consecutive, verdict };
    };
  },
});

const JUDGES: JudgeSpec[] = [
  analyseJudge,
  compareJudge('compare', COMPARISON_POLICY),
  compareJudge('compare@0.99', { ...COMPARISON_POLICY, confidence: 0.99 }),
  compareJudge('compare min 0.25pt', { ...COMPARISON_POLICY, minEffect: { ...COMPARISON_POLICY.minEffect, errorRatePoints: 0.25 } }),
  compareJudge('compare 2 in a row', COMPARISON_POLICY, 2),
];
const PRIMARY = ['analyse', 'compare', 'combined'] as const;

export interface JudgeFigures {
  /** Share of trials rolled back within the first 2 windows. */
  rollbackWithin2: number;
  /** Share of trials rolled back within all 10 windows (the false-rollback rate for a healthy canary). */
  rollbackWithin10: number;
  /** Mean window of the first rollback, over the trials that rolled back; null if none did. */
  meanWindowsToRollback: number | null;
  /**
   * Share of the judged windows per verdict (a trial's windows are judged until every judge has
   * rolled back); null for 'combined', which has no verdict of its own.
   */
  windowVerdicts: Record<string, number> | null;
}

export interface ScenarioResult {
  id: string;
  label: string;
  kind: Scenario['kind'];
  rps: number;
  canaryErrorRatePct: number;
  canaryTrueP99Ms: number;
  trials: number;
  /** Averages of what was observed per window: a sanity check of the simulation. */
  observed: { canaryRequests: number; stableErrorRatePct: number; stableP99Ms: number; canaryP99Ms: number };
  judges: Record<string, JudgeFigures>;
}

export interface TargetCheck {
  target: string;
  scenario: string;
  judge: string;
  goal: string;
  actual: number;
  /** Wilson 95 % interval of the share, from the number of trials. */
  ci95: [number, number];
  met: boolean;
  /** How far off, in percentage points (0 when met). */
  missedByPoints: number;
}

export interface DecisionBenchResult {
  seed: number;
  trials: number;
  windowsPerTrial: number;
  windowSeconds: number;
  baseline: { errorRatePct: number; medianMs: number; p99Ms: number; sigma: number };
  policies: { analyse: AnalysisPolicy; compare: ComparisonPolicy };
  scenarios: ScenarioResult[];
  targets: TargetCheck[];
  runtimeMs: number;
}

const round = (v: number, digits = 4): number => Math.round(v * 10 ** digits) / 10 ** digits;

function runScenario(scenario: Scenario, seed: number, trials: number, sim: WindowSimulator): ScenarioResult {
  const names = [...JUDGES.map((j) => j.name), 'combined'];
  const first = new Map(names.map((n) => [n, [] as number[]]));
  const verdicts = new Map(names.map((n) => [n, new Map<string, number>()]));
  const sums = { windows: 0, canaryRequests: 0, stableErrors: 0, stableRequests: 0, stableP99: 0, stableP99n: 0, canaryP99: 0, canaryP99n: 0 };
  for (let trial = 0; trial < trials; trial++) {
    const rng = trialRng(seed, scenario.id, trial);
    const judges = JUDGES.map((j) => ({ name: j.name, judge: j.start(), at: 0 }));
    for (let w = 1; w <= WINDOWS_PER_TRIAL && judges.some((j) => j.at === 0); w++) {
      const win = sim.window(rng, scenario);
      sums.windows++;
      sums.canaryRequests += win.canary.requests;
      sums.stableErrors += win.stable.errors;
      sums.stableRequests += win.stable.requests;
      if (win.stable.p99 !== null) { sums.stableP99 += win.stable.p99; sums.stableP99n++; }
      if (win.canary.p99 !== null) { sums.canaryP99 += win.canary.p99; sums.canaryP99n++; }
      for (const j of judges) {
        const { rollback, verdict } = j.judge(win);
        const tally = verdicts.get(j.name)!;
        tally.set(verdict, (tally.get(verdict) ?? 0) + 1);
        if (rollback && j.at === 0) j.at = w;
      }
    }
    const at = (name: string): number => judges.find((j) => j.name === name)!.at;
    for (const j of judges) first.get(j.name)!.push(j.at);
    const both = [at('analyse'), at('compare')].filter((x) => x > 0);
    first.get('combined')!.push(both.length > 0 ? Math.min(...both) : 0);
  }
  const figures = (name: string): JudgeFigures => {
    const at = first.get(name)!;
    const hit = at.filter((x) => x > 0);
    const tally = verdicts.get(name)!;
    const judged = [...tally.values()].reduce((a, b) => a + b, 0);
    return {
      rollbackWithin2: round(at.filter((x) => x > 0 && x <= 2).length / trials),
      rollbackWithin10: round(hit.length / trials),
      meanWindowsToRollback: hit.length > 0 ? round(hit.reduce((a, b) => a + b, 0) / hit.length, 2) : null,
      windowVerdicts: judged === 0 ? null : Object.fromEntries([...tally].sort().map(([v, c]) => [v, round(c / judged)])),
    };
  };
  return {
    id: scenario.id, label: scenario.label, kind: scenario.kind, rps: scenario.rps,
    canaryErrorRatePct: round(100 * scenario.canaryErrorRate), canaryTrueP99Ms: scenario.canaryP99Ms, trials,
    observed: {
      canaryRequests: round(sums.canaryRequests / sums.windows, 1),
      stableErrorRatePct: round((100 * sums.stableErrors) / Math.max(1, sums.stableRequests), 3),
      stableP99Ms: round(sums.stableP99 / Math.max(1, sums.stableP99n), 1),
      canaryP99Ms: round(sums.canaryP99 / Math.max(1, sums.canaryP99n), 1),
    },
    judges: Object.fromEntries(names.map((n) => [n, figures(n)])),
  };
}

function wilson(share: number, n: number): [number, number] {
  const z = 1.959964;
  const centre = (share + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((share * (1 - share)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return [round(Math.max(0, centre - half)), round(Math.min(1, centre + half))];
}

function targetChecks(scenarios: ScenarioResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const add = (target: string, id: string, judge: string, kind: 'atLeast' | 'atMost', bound: number, field: keyof JudgeFigures): void => {
    const s = scenarios.find((x) => x.id === id);
    if (!s) return;
    const actual = s.judges[judge]![field] as number;
    const met = kind === 'atLeast' ? actual >= bound : actual <= bound;
    checks.push({
      target, scenario: id, judge, goal: `${kind === 'atLeast' ? '≥' : '≤'} ${bound * 100} %`, actual, ci95: wilson(actual, s.trials), met,
      missedByPoints: met ? 0 : round(100 * Math.abs(actual - bound), 2),
    });
  };
  for (const rps of [1, 10, 100]) {
    for (const judge of PRIMARY) add('2× error regression caught within 2 windows', `errors-x2@${rps}`, judge, 'atLeast', 0.99, 'rollbackWithin2');
    for (const judge of PRIMARY) add('+100 ms p99 regression caught within 2 windows', `p99+100@${rps}`, judge, 'atLeast', 0.99, 'rollbackWithin2');
  }
  for (const judge of PRIMARY) add('false rollbacks of a healthy canary at 1 rps (10 windows)', 'healthy@1', judge, 'atMost', 0.01, 'rollbackWithin10');
  return checks;
}

export async function benchDecisions(opts: { seed?: number; trials?: number } = {}): Promise<DecisionBenchResult> {
  const seed = opts.seed ?? DEFAULT_SEED;
  const trials = opts.trials ?? DEFAULT_TRIALS;
  if (!Number.isInteger(trials) || trials < 1) throw new RangeError(`trials must be a positive integer, got ${trials}`);
  const started = performance.now();
  const sim = new WindowSimulator();
  const scenarios: ScenarioResult[] = [];
  for (const scenario of SCENARIOS) {
    scenarios.push(runScenario(scenario, seed, trials, sim));
    await new Promise((resolve) => setImmediate(resolve)); // stay responsive when embedded
  }
  return {
    seed, trials, windowsPerTrial: WINDOWS_PER_TRIAL, windowSeconds: WINDOW_SECONDS,
    baseline: { errorRatePct: 100 * BASELINE.errorRate, medianMs: BASELINE.medianMs, p99Ms: BASELINE.p99Ms, sigma: round(STABLE_SIGMA) },
    policies: { analyse: ANALYSIS_POLICY, compare: COMPARISON_POLICY },
    scenarios,
    targets: targetChecks(scenarios),
    runtimeMs: Math.round(performance.now() - started),
  };
}

// ---- the script ----------------------------------------------------------------------------------

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`.padStart(6);
const mean = (v: number | null): string => (v === null ? '–' : v.toFixed(2)).padStart(5);

function printTable(r: DecisionBenchResult): void {
  const out = (line = ''): void => console.log(line);
  out(`Decision benchmark: ${r.trials} trials × up to ${r.windowsPerTrial} windows of ${r.windowSeconds} s per scenario, seed ${r.seed}`);
  out(`stable baseline: ${r.baseline.errorRatePct}% errors, latency log-normal median ${r.baseline.medianMs} ms, p99 ${r.baseline.p99Ms} ms (σ ${r.baseline.sigma})`);
  out(`analyse: errorRate ≤ 1%, successRate ≥ 99%, p99 ≤ ${ANALYSIS_POLICY.thresholds.latencyMs.p99} ms, minRequests 20, rollback on 'fail'`);
  out(`compare: confidence ${COMPARISON_POLICY.confidence}, minEffect ${COMPARISON_POLICY.minEffect.errorRatePoints} points / ${COMPARISON_POLICY.minEffect.latencyMs} ms, rollback on 'worse'`);
  out('Columns per judge: rolled back within 2 windows | within 10 windows | mean window of the rollback.');
  out('For healthy canaries "≤10w" is the false-rollback rate; for regressions it is the detection rate.');
  out();
  const groups = ['analyse', 'compare', 'combined'];
  const head = `${'scenario'.padEnd(14)}${'rps'.padStart(4)} ${'obs p99'.padStart(8)} │` +
    groups.map((g) => ` ${g.padEnd(21)}│`).join('') + ' cmp inc.';
  out(head);
  out(`${''.padEnd(27)}│` + groups.map(() => `   ≤2w   ≤10w  mean │`).join(''));
  out('─'.repeat(head.length + 2));
  let kind = '';
  for (const s of r.scenarios) {
    if (kind && s.kind !== kind) out();
    kind = s.kind;
    const cells = groups.map((g) => {
      const f = s.judges[g]!;
      return ` ${pct(f.rollbackWithin2)} ${pct(f.rollbackWithin10)} ${mean(f.meanWindowsToRollback)} │`;
    }).join('');
    const inconclusive = s.judges.compare!.windowVerdicts?.inconclusive ?? 0;
    out(`${s.label.padEnd(14)}${String(s.rps).padStart(4)} ${`${s.observed.canaryP99Ms}`.padStart(8)} │${cells} ${pct(inconclusive)}`);
  }
  out();
  out('Sensitivity (compare only, same windows): ≤2w / ≤10w');
  const variants = ['compare@0.99', 'compare min 0.25pt', 'compare 2 in a row'];
  out(`${'scenario'.padEnd(14)}${'rps'.padStart(4)} │` + variants.map((v) => ` ${v.padEnd(18)}│`).join(''));
  for (const s of r.scenarios) {
    out(`${s.label.padEnd(14)}${String(s.rps).padStart(4)} │` + variants.map((v) => {
      const f = s.judges[v]!;
      return ` ${pct(f.rollbackWithin2)}  ${pct(f.rollbackWithin10)}    │`;
    }).join(''));
  }
  out();
  out('Targets');
  for (const t of r.targets) {
    const ci = `[${(100 * t.ci95[0]).toFixed(1)}, ${(100 * t.ci95[1]).toFixed(1)}]`;
    out(`  ${t.met ? 'met   ' : 'MISSED'} ${t.target}, ${t.scenario}, ${t.judge}: ${(100 * t.actual).toFixed(1)}% ${ci} (goal ${t.goal})` +
      (t.met ? '' : `, off by ${t.missedByPoints} points`));
  }
  out();
  out(`runtime ${(r.runtimeMs / 1000).toFixed(1)} s`);
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const arg = (flag: string): number | undefined => {
    const i = process.argv.indexOf(flag);
    return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : undefined;
  };
  const result = await benchDecisions({ seed: arg('--seed'), trials: arg('--trials') });
  if (process.argv.includes('--json')) console.log(JSON.stringify(result));
  else printTable(result);
}
