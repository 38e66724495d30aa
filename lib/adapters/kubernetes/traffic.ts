/**
 * What every traffic provider (Istio, ingress-nginx, Gateway API) offers the cluster adapter. Weights are
 * absolute percentages, so a repeated tick writes the same objects again and changes nothing.
 */
import type { z } from 'zod';
import type { RolloutSpec } from '../../domain/spec.js';
import { KubernetesApiError } from './errors.js';

export interface TrafficProvider {
  /** Routes `weight` percent to the canary (0–100), creating the provider's helper objects as needed. */
  setCanaryWeight(spec: RolloutSpec, weight: number): Promise<void>;
  /** The canary percentage the traffic object holds now; undefined when it has no recognisable split. */
  readCanaryWeight(spec: RolloutSpec): Promise<number | undefined>;
  /** Back to 100 % stable and remove what the provider created for the canary; user objects stay. */
  release(spec: RolloutSpec): Promise<void>;
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
