/**
 * Synthetic traffic for the decision benchmark: what a canary and its stable version would show in
 * one 60 s analysis window, drawn from a seeded PRNG so that every figure is reproducible.
 *
 * Model, per version and window:
 * - requests: Poisson at the scenario's rps (canary rps = stable rps), drawn per 10 s sub-window
 *   (exact inversion, no normal approximation even at λ = 1000);
 * - errors: Binomial(requests, error rate), stable 0.5 %; drawn by geometric skipping;
 * - latency: log-normal, median 40 ms and p99 200 ms for stable (σ = ln(200/40)/z₀.₉₉ = 0.692);
 *   a latency regression keeps the median and widens σ so that the canary's true p99 is 250 or 300 ms
 *   (a heavier tail, the typical shape of a slow dependency or GC pauses, not a uniform shift);
 * - observed quantiles: nearest-rank over the sampled requests, for the whole window (what the
 *   threshold analysis sees) and per 10 s sub-window (the 6-point p99 series Mann–Whitney compares).
 *   At 1 rps a sub-window holds ~10 requests, so its "p99" is simply their maximum: no query over so
 *   little traffic can do better. Exact sample quantiles are a little kinder than histogram_quantile's
 *   bucket interpolation.
 */
import { normalQuantile } from '../lib/domain/statistics.js';

export const WINDOW_SECONDS = 60;
export const SUBWINDOW_SECONDS = 10;
export const BASELINE = { errorRate: 0.005, medianMs: 40, p99Ms: 200 } as const;

export type ScenarioKind = 'healthy' | 'errors' | 'latency';

export interface Scenario {
  id: string;
  kind: ScenarioKind;
  label: string;
  rps: number;
  /** Canary error rate, fraction. */
  canaryErrorRate: number;
  /** Canary true p99, ms (median stays at the baseline's). */
  canaryP99Ms: number;
}

export const RPS_LEVELS = [1, 10, 100] as const;
export const ERROR_MULTIPLES = [1.5, 2, 5] as const;
export const P99_SHIFTS_MS = [50, 100] as const;

/** Healthy canaries, error-rate regressions and p99 regressions, each at every traffic level. */
export const SCENARIOS: Scenario[] = [
  ...RPS_LEVELS.map((rps): Scenario => ({
    id: `healthy@${rps}`, kind: 'healthy', label: 'healthy', rps, canaryErrorRate: BASELINE.errorRate, canaryP99Ms: BASELINE.p99Ms,
  })),
  ...ERROR_MULTIPLES.flatMap((m) => RPS_LEVELS.map((rps): Scenario => ({
    id: `errors-x${m}@${rps}`, kind: 'errors', label: `errors ×${m}`, rps, canaryErrorRate: m * BASELINE.errorRate, canaryP99Ms: BASELINE.p99Ms,
  }))),
  ...P99_SHIFTS_MS.flatMap((shift) => RPS_LEVELS.map((rps): Scenario => ({
    id: `p99+${shift}@${rps}`, kind: 'latency', label: `p99 +${shift} ms`, rps, canaryErrorRate: BASELINE.errorRate, canaryP99Ms: BASELINE.p99Ms + shift,
  }))),
];

// ---- seeded randomness -------------------------------------------------------------------------

/** splitmix32-style finaliser: turns (seed, scenario, trial) into well-spread independent seeds. */
function mix(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

const hashString = (s: string): number => {
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
};

/**
 * mulberry32 (a 32-bit state PRNG, fast and good enough for simulation) with a standard normal by
 * Marsaglia's polar method. A class with plain numeric fields: this is the benchmark's hot loop.
 */
export class Rng {
  private state: number;
  private spare = 0;
  private hasSpare = false;
  constructor(seed: number) { this.state = seed | 0; }

  /** Uniform on (0, 1), never 0: safe for log(). */
  uniform(): number {
    const a = (this.state = (this.state + 0x6d2b79f5) | 0);
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  }

  normal(): number {
    if (this.hasSpare) { this.hasSpare = false; return this.spare; }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
  }
}

/**
 * The stream of one trial. Seeded from the scenario id (not its position), so adding a scenario
 * changes no other scenario's figures, and a short stream per trial stays far inside mulberry32's
 * 2³² period.
 */
export function trialRng(seed: number, scenarioId: string, trial: number): Rng {
  return new Rng(mix(mix(seed ^ hashString(scenarioId)) + Math.imul(trial + 1, 0x9e3779b9)));
}

/** Poisson(λ) by inversion, λ split into chunks of at most 500 so that e^−λ cannot underflow. */
function poisson(rng: Rng, lambda: number): number {
  let total = 0;
  for (let left = lambda; left > 0; left -= 500) {
    const l = Math.min(left, 500);
    let x = 0;
    let p = Math.exp(-l);
    let cdf = p;
    const u = rng.uniform();
    while (u > cdf && p > 0) { x++; p *= l / x; cdf += p; }
    total += x;
  }
  return total;
}

function binomial(rng: Rng, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  // Geometric skipping: the gap to the next error is Geometric(p); cost ∝ errors, not requests.
  const logQ = Math.log1p(-p);
  let errors = 0;
  for (let at = 0; ; errors++) {
    at += Math.floor(Math.log(rng.uniform()) / logQ) + 1;
    if (at > n) return errors;
  }
}

/** Hoare quickselect on a[lo, hi): afterwards a[k] is the k-th smallest, a[lo..k) ≤ a[k] ≤ a(k..hi). */
function select(a: Float64Array, lo: number, hi: number, k: number): number {
  let l = lo;
  let r = hi - 1;
  while (r > l) {
    const pivot = a[(l + r) >> 1]!;
    let i = l;
    let j = r;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) { const t = a[i]!; a[i] = a[j]!; a[j] = t; i++; j--; }
    }
    if (k <= j) r = j;
    else if (k >= i) l = i;
    else break;
  }
  return a[k]!;
}

const rankIndex = (q: number, n: number): number => Math.max(0, Math.ceil(q * n) - 1); // nearest rank

export interface VersionWindow {
  requests: number;
  errors: number;
  /** Observed window quantiles in ms; null without requests. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  /** Observed p99 of each non-empty 10 s sub-window, ms. */
  p99Series: number[];
}

const Z99 = normalQuantile(0.99);
const sigmaFor = (p99Ms: number): number => Math.log(p99Ms / BASELINE.medianMs) / Z99;
export const STABLE_SIGMA = sigmaFor(BASELINE.p99Ms);

/**
 * Reusable per-run buffer of standard-normal latency draws. Quantiles are taken on the normal draws
 * and only then mapped through exp (monotone), which saves one exp() per simulated request.
 */
export class WindowSimulator {
  private buf = new Float64Array(8192);

  version(rng: Rng, rps: number, errorRate: number, p99Ms: number): VersionWindow {
    const sigma = sigmaFor(p99Ms);
    const toMs = (z: number): number => BASELINE.medianMs * Math.exp(sigma * z);
    const p99Series: number[] = [];
    let n = 0;
    for (let s = 0; s < WINDOW_SECONDS / SUBWINDOW_SECONDS; s++) {
      const start = n;
      const m = poisson(rng, rps * SUBWINDOW_SECONDS);
      if (n + m > this.buf.length) { const bigger = new Float64Array(2 * (n + m)); bigger.set(this.buf); this.buf = bigger; }
      for (let i = 0; i < m; i++) this.buf[n++] = rng.normal();
      if (m > 0) p99Series.push(toMs(select(this.buf, start, n, start + rankIndex(0.99, m))));
    }
    const errors = binomial(rng, n, errorRate);
    if (n === 0) return { requests: 0, errors, p50: null, p90: null, p99: null, p99Series };
    // Nested selection: after selecting k99 the k99 + 1 smallest sit in [0, k99], and so on down.
    const k99 = rankIndex(0.99, n);
    const k90 = rankIndex(0.9, n);
    const k50 = rankIndex(0.5, n);
    const p99 = toMs(select(this.buf, 0, n, k99));
    const p90 = toMs(select(this.buf, 0, k99 + 1, k90));
    const p50 = toMs(select(this.buf, 0, k90 + 1, k50));
    return { requests: n, errors, p50, p90, p99, p99Series };
  }

  window(rng: Rng, scenario: Scenario): { canary: VersionWindow; stable: VersionWindow } {
    const canary = this.version(rng, scenario.rps, scenario.canaryErrorRate, scenario.canaryP99Ms);
    const stable = this.version(rng, scenario.rps, BASELINE.errorRate, BASELINE.p99Ms);
    return { canary, stable };
  }
}
