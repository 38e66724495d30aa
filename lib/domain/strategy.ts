/**
 * Step generation per strategy. A step is the canary's share of traffic and how long to hold it
 * (analysing throughout) before moving on; `approval` gates the step before its weight is applied.
 */
export type StrategyType = 'Linear' | 'Exponential' | 'Manual';

export interface Step {
  /** Canary share of traffic in percent, 1..100. */
  weight: number;
  /** How long the step is held, analysing every interval, before the next step. */
  pauseMs: number;
  /** True when a person (or gate hook) must approve before this step's weight is applied. */
  approval: boolean;
}

export const DEFAULT_WEIGHTS: Record<StrategyType, readonly number[]> = {
  Linear: [5, 10, 25, 50, 75, 100],
  Exponential: [1, 5, 10, 25, 50, 100],
  // Manual walks the Linear ladder but every step waits for a person.
  Manual: [5, 10, 25, 50, 75, 100],
};

export const DEFAULT_STEP_PAUSE_MS = 5 * 60_000;

export interface StepInput {
  weight: number;
  pauseMs?: number;
}

/**
 * Builds the step list: explicit steps win; otherwise the strategy's default ladder with the given
 * pause on every step but the last (100 % is held only as long as promotion takes).
 * `approvalBefore` holds 1-based step numbers that need an approval; Manual gates every step.
 */
export function buildSteps(
  type: StrategyType,
  explicit: readonly StepInput[] | undefined,
  pauseMs: number = DEFAULT_STEP_PAUSE_MS,
  approvalBefore: readonly number[] = [],
): Step[] {
  const inputs: StepInput[] = explicit
    ? [...explicit]
    : DEFAULT_WEIGHTS[type].map((weight, index, all) => ({ weight, pauseMs: index === all.length - 1 ? 0 : pauseMs }));
  const gated = new Set(approvalBefore);
  return inputs.map((input, index) => ({
    weight: input.weight,
    pauseMs: input.pauseMs ?? pauseMs,
    approval: type === 'Manual' || gated.has(index + 1),
  }));
}
