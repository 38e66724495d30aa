/**
 * Always-valid (anytime) tests for rates accumulated over a rollout step. A fixed-n test looked at
 * after every scrape inflates false alarms (that is why healthy canaries were rolled back at low
 * traffic); the statistics here are nonnegative (super)martingales under the null, so by Ville's
 * inequality P(sup_n M_n ≥ 1/α) ≤ α: the data may be looked at as often as we like.
 *
 * Each question has three answers: `breach` (the data show, at confidence 1 − α, that the true value
 * is beyond the threshold), `hold` (they show it is within), `undecided` (keep collecting).
 * Pure: no I/O, no clock, no randomness. Counts may be fractional (Prometheus `increase()`).
 */

export type Evidence = 'breach' | 'hold' | 'undecided';

export interface Counts {
  /** Events (errors, requests slower than the bound). */
  events: number;
  /** Observations (requests). */
  total: number;
}

export interface SequentialResult {
  evidence: Evidence;
  /** One-sample: k/n. Two-sample: canary rate − stable rate. 0 with no data. */
  estimate: number;
  /** Bounds of the (1 − α) confidence sequence for the rate (or the difference). */
  lower: number;
  upper: number;
  /** Natural log of the e-value against the boundary (the threshold, or the minimum effect). */
  logE: number;
  /**
   * About how many more (canary) observations at the current estimate would decide; 0 when decided,
   * null when it never would at this estimate (estimate exactly on the boundary, or no data).
   */
  needs: number | null;
}

// ln Γ(x) by Lanczos (g = 7, 9 terms): relative error ~1e-15 for x > 0, enough for log-Beta differences.
const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x); // reflection
  const z = x - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) s += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}
export const logBeta = (a: number, b: number): number => logGamma(a) + logGamma(b) - logGamma(a + b);

export interface BetaPrior { a: number; b: number }

/**
 * Default mixing prior for a threshold p0: Beta(1, (1 − p0)/p0), mean p0, so the mixture puts its
 * weight on rates of the threshold's order (a uniform prior wastes most of it far above a 1 % threshold
 * and makes the test slow there). A choice of power, not of validity: any prior fixed in advance is valid.
 */
export const defaultPrior = (p0: number): BetaPrior => ({ a: 1, b: Math.max(1, (1 - p0) / p0) });

/**
 * Robbins' beta-binomial mixture martingale against the point p (k events out of n):
 *   ln M_n(p) = ln B(a + k, b + n − k) − ln B(a, b) − k ln p − (n − k) ln(1 − p).
 * M_n(p) = ∫ q^k (1−q)^(n−k) Beta(q; a, b) dq / (p^k (1−p)^(n−k)) is a mean-1 martingale when the true
 * rate is p, so C_n = { p : M_n(p) < 1/α } is a (1 − α) confidence sequence valid at any stopping time.
 */
export function betaMixtureLogE(k: number, n: number, p: number, prior: BetaPrior): number {
  const { a, b } = prior;
  const logLik = (k > 0 ? k * Math.log(p) : 0) + (n - k > 0 ? (n - k) * Math.log(1 - p) : 0);
  return logBeta(a + k, b + n - k) - logBeta(a, b) - logLik;
}

/**
 * ln M_{n+1}(p) − ln M_n(p) after one more observation (k, n: counts before it); lets a simulation
 * update the statistic in O(1) per request: ln((a+k)/(a+b+n)) − ln p for an event, else
 * ln((b+n−k)/(a+b+n)) − ln(1−p) (from B(x+1, y) = B(x, y)·x/(x+y)).
 */
export function betaMixtureLogEStep(k: number, n: number, event: boolean, p: number, prior: BetaPrior): number {
  const { a, b } = prior;
  return event ? Math.log((a + k) / (a + b + n)) - Math.log(p) : Math.log((b + n - k) / (a + b + n)) - Math.log(1 - p);
}

/** Solves f(x) = 0 by bisection on [lo, hi] given f(lo) and f(hi) of opposite signs; 60 steps ≈ 1e-18 · width. */
function bisect(f: (x: number) => number, lo: number, hi: number): number {
  const loSign = Math.sign(f(lo));
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (Math.sign(f(mid)) === loSign) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Smallest growth factor s ≥ 1 (total observations × s) for which `decided(s)` holds, assuming it is
 * monotone; null beyond 1e9. Doubling then bisection: ~100 evaluations.
 */
function growthToDecide(decided: (s: number) => boolean): number | null {
  if (decided(1)) return 1;
  let hi = 2;
  while (!decided(hi)) { hi *= 2; if (hi > 1e9) return null; }
  let lo = hi / 2;
  for (let i = 0; i < 50 && hi - lo > 1e-3 * lo; i++) { const mid = (lo + hi) / 2; if (decided(mid)) hi = mid; else lo = mid; }
  return hi;
}

function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
}
function checkCounts({ events, total }: Counts, side: string): void {
  if (!Number.isFinite(events) || !Number.isFinite(total) || events < 0 || total < 0 || events > total) {
    throw new RangeError(`${side}: need 0 <= events <= total, got ${events} of ${total}`);
  }
}

/**
 * One proportion against a threshold p0 (error rate ≤ p0, share of slow requests ≤ q).
 * The bounds are the confidence sequence C_n = { p : ln M_n(p) < ln(1/α) } (see betaMixtureLogE),
 * found by bisection: ln M_n(p) is convex in p with its minimum (≤ 0, a mixture never beats the
 * maximum likelihood) at p̂ = k/n, so C_n is an interval around p̂.
 * - breach iff lower > p0: then every p ≤ p0 is excluded, so for any true p ≤ p0 the chance of ever
 *   saying breach is ≤ α (equivalently: p̂ > p0 and M_n(p0) ≥ 1/α, M_n being smallest at p0 over p ≤ p0);
 * - hold iff upper ≤ p0 (symmetrically, ever wrongly saying hold has chance ≤ α when p > p0).
 * `needs`: extra observations until decided if events keep coming at rate p̂.
 */
export function proportionTest(counts: Counts, options: { threshold: number; alpha: number; prior?: BetaPrior }): SequentialResult {
  checkCounts(counts, 'counts');
  checkAlpha(options.alpha);
  const p0 = options.threshold;
  if (!(p0 > 0 && p0 < 1)) throw new RangeError(`threshold must be in (0, 1), got ${p0}`);
  const prior = options.prior ?? defaultPrior(p0);
  const { events: k, total: n } = counts;
  const bar = Math.log(1 / options.alpha);
  const logE = betaMixtureLogE(k, n, p0, prior);
  if (n === 0) return { evidence: 'undecided', estimate: 0, lower: 0, upper: 1, logE, needs: null };
  const est = k / n;
  const f = (p: number): number => betaMixtureLogE(k, n, p, prior) - bar;
  const lower = k === 0 ? 0 : bisect(f, Number.MIN_VALUE, est);
  const upper = k === n ? 1 : bisect(f, est, 1 - Number.EPSILON);
  const evidence: Evidence = lower > p0 ? 'breach' : upper <= p0 ? 'hold' : 'undecided';
  const decidedAt = (s: number): boolean => betaMixtureLogE(k * s, n * s, p0, prior) >= bar;
  const s = est === p0 ? null : growthToDecide(decidedAt);
  return { evidence, estimate: est, lower, upper, logE, needs: evidence !== 'undecided' ? 0 : s === null ? null : Math.ceil(n * (s - 1)) };
}

/**
 * Johari et al. (2017) normal-mixture mSPRT, in terms of the variance V = σ²/n of the estimate:
 *   Λ = sqrt(V / (V + τ²)) · exp(τ² (x̄ − θ0)² / (2 V (V + τ²))),
 * which is sqrt(σ²/(σ² + nτ²)) · exp(n² τ² (x̄ − θ0)² / (2σ² (σ² + nτ²))) with V = σ²/n. Returns ln Λ.
 */
export function normalMixtureLogLambda(estimate: number, variance: number, theta0: number, tau2: number): number {
  const d = estimate - theta0;
  return 0.5 * Math.log(variance / (variance + tau2)) + (tau2 * d * d) / (2 * variance * (variance + tau2));
}

/** Half-width of { θ : Λ(θ) < 1/α }, from solving ln Λ = ln(1/α) for (x̄ − θ)². */
export const normalMixtureRadius = (variance: number, tau2: number, alpha: number): number =>
  Math.sqrt((2 * variance * (variance + tau2) / tau2) * (Math.log(1 / alpha) + 0.5 * Math.log((variance + tau2) / variance)));

/**
 * Canary versus stable proportions (errors, slow shares): is the canary worse by more than minEffect?
 * Normal-mixture mSPRT on Δ = p_c − p_s (Johari et al. 2017; the Gaussian case of Lindon et al. KDD 2022)
 * with V = p̃_c(1 − p̃_c)/n_c + p̃_s(1 − p̃_s)/n_s. p̃ = (k + 1)/(n + 2) (Agresti–Caffo): the plug-in
 * p̂ gives V = 0 before the first error, which would make the first error look like infinite evidence.
 * The guarantee is asymptotic (CLT + plug-in variance), not exact like the one-sample test; the unit
 * tests check it by simulation. Confidence sequence Δ̂ ± r (normalMixtureRadius);
 * breach iff lower > minEffect, hold iff upper ≤ minEffect. τ (default: max(minEffect, 0.005)) is the
 * scale of differences the test is tuned to detect quickly.
 */
export function twoProportionSequentialTest(
  input: { canary: Counts; stable: Counts },
  options: { minEffect: number; alpha: number; tau?: number },
): SequentialResult {
  checkCounts(input.canary, 'canary');
  checkCounts(input.stable, 'stable');
  checkAlpha(options.alpha);
  const { minEffect, alpha } = options;
  if (!(minEffect >= 0 && minEffect < 1)) throw new RangeError(`minEffect must be in [0, 1), got ${minEffect}`);
  const tau = options.tau ?? Math.max(minEffect, 0.005);
  const tau2 = tau * tau;
  const { canary: c, stable: s } = input;
  if (c.total === 0 || s.total === 0) return { evidence: 'undecided', estimate: 0, lower: -1, upper: 1, logE: 0, needs: null };
  const est = c.events / c.total - s.events / s.total;
  const smooth = (x: Counts): number => (x.events + 1) / (x.total + 2);
  const varOf = (x: Counts, scale: number): number => smooth(x) * (1 - smooth(x)) / (x.total * scale);
  const variance = varOf(c, 1) + varOf(s, 1);
  const r = normalMixtureRadius(variance, tau2, alpha);
  const lower = Math.max(-1, est - r);
  const upper = Math.min(1, est + r);
  const evidence: Evidence = lower > minEffect ? 'breach' : upper <= minEffect ? 'hold' : 'undecided';
  const logE = normalMixtureLogLambda(est, variance, minEffect, tau2);
  // Both sides grow by the same factor (the traffic split stays), the rates stay: V shrinks as 1/factor.
  const decidedAt = (f: number): boolean => Math.abs(est - minEffect) > normalMixtureRadius(variance / f, tau2, alpha);
  const g = est === minEffect ? null : growthToDecide(decidedAt);
  return { evidence, estimate: est, lower, upper, logE, needs: evidence !== 'undecided' ? 0 : g === null ? null : Math.ceil(c.total * (g - 1)) };
}
