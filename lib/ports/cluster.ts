import type { Observation } from '../domain/commands.js';
import type { RolloutSpec } from '../domain/spec.js';

/**
 * One Kubernetes cluster as the engine sees it: the canary workload and the traffic object.
 * Every method is idempotent (create tolerates "already exists", delete tolerates "not found").
 */
export interface ClusterPort {
  /** Canary and stable Deployment status plus the weight currently in the traffic object. */
  observe(spec: RolloutSpec): Promise<Omit<Observation, 'analysis'>>;
  ensureCanary(spec: RolloutSpec): Promise<void>;
  setCanaryWeight(spec: RolloutSpec, weight: number): Promise<void>;
  promoteStable(spec: RolloutSpec): Promise<void>;
  deleteCanary(spec: RolloutSpec): Promise<void>;
}

/** Named clusters; a rollout's `spec.cluster` picks one. */
export interface ClusterRegistry {
  names(): string[];
  /** Throws UnknownClusterError naming the known clusters. */
  get(name: string): ClusterPort;
}
