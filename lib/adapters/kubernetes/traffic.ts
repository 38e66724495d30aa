/**
 * What every traffic provider (Istio, ingress-nginx, Gateway API) offers the cluster adapter. Weights are
 * absolute percentages, so a repeated tick writes the same objects again and changes nothing.
 */
import type { z } from 'zod';
import type { RolloutRef } from '../../ports/cluster.js';
import { isAbsent, KubernetesApiError } from './errors.js';

/** What a provider's objects show: weight, and the facts observe() reports (never thrown). */
export interface TrafficView {
  /** Undefined when the route object is missing or has no recognisable split. */
  weight: number | undefined;
  /** e.g. `VirtualService ns/x`: the object (or its CRD) is not there. */
  missing: string[];
  /** Objects named like the engine's own that it did not create. */
  foreign: string[];
  /** Stable selection still carries the engine's narrowing (see stable-selection.ts). */
  narrowed: boolean;
}

export interface TrafficProvider {
  /** Narrows stable selection to the target's revision `hash` (idempotent; re-points on a new hash). */
  narrowStable(rollout: RolloutRef, hash: string): Promise<void>;
  /** Routes `weight` percent to the canary (0–100), creating the provider's helper objects as needed. */
  setCanaryWeight(rollout: RolloutRef, weight: number): Promise<void>;
  read(rollout: RolloutRef): Promise<TrafficView>;
  /**
   * Back to 100 % stable and remove what the provider created for this rollout; user objects, leftovers
   * and foreign objects stay. A missing route object or CRD routes nothing: not an error.
   */
  release(rollout: RolloutRef): Promise<void>;
  /** Undoes narrowStable from what the narrowed object itself recorded; idempotent, needs no target. */
  restoreStable(rollout: RolloutRef): Promise<void>;
}

/** Marks objects the engine created, so a person can tell them from their own. */
export const MANAGED_LABELS: Readonly<Record<string, string>> = {
  'app.kubernetes.io/managed-by': 'codedance',
  'codedance.io/rollout-role': 'canary',
};

/** Key-order-insensitive equality of JSON values: skip writes that would change nothing. */
export function sameJson(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(norm)
      : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([x], [y]) => x.localeCompare(y)).map(([k, x]) => [k, norm(x)]))
        : v;
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/** Custom objects arrive untyped: validate the fields we rely on, keep the rest as-is. */
export function parseObject<T extends z.ZodType>(cluster: string, schema: T, raw: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new KubernetesApiError(cluster, 'Invalid', `${what} has an unexpected shape (${problems}); fix the object`, true);
}

/** A call where a missing object or CRD is a fact (undefined), not an error: cleanup and observe need this. */
export async function unlessAbsent<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw err;
  }
}
