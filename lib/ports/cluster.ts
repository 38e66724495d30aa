import type { Observation } from '../domain/commands.js';
import type { RolloutSpec } from '../domain/spec.js';

/**
 * The rollout a cluster call acts for. Its `id` is written on every object the engine creates for it
 * (annotation `codedance.io/rollout-id`), so an object named like a canary that carries another id, or
 * none, is never adopted or deleted.
 */
export interface RolloutRef {
  id: string;
  spec: RolloutSpec;
}

/** What observe() returns: everything of Observation but what the engine measures itself. */
export type ClusterObservation = Omit<Observation, 'analysis' | 'hooks'>;

/**
 * One Kubernetes cluster as the engine sees it: the target, the canary workload and the traffic object.
 * Every method is idempotent (create tolerates "already exists", delete tolerates "not found").
 *
 * Stable selection: while a rollout runs, whatever selects "stable" traffic (the stable Service's selector
 * for ingress-nginx and the Gateway API, the DestinationRule's `stable` subset for Istio) is narrowed to the
 * target's current ReplicaSet by its `pod-template-hash`, so canary pods, which carry the target's labels,
 * never receive stable traffic. The original selection is kept in an annotation on the narrowed object, so a
 * crash at any point can restore it; deleteCanary restores it.
 */
export interface ClusterPort {
  /**
   * Target, canary and traffic as they are now. A missing target Deployment or traffic object is reported
   * in `missing`, never thrown: a rollback must be able to finish without them.
   */
  observe(rollout: RolloutRef): Promise<ClusterObservation>;
  /**
   * Narrows stable selection to the target's current revision, then creates the canary Deployment from the
   * target's current template with `replicas` (or scales it). A leftover canary of an earlier rollout is
   * rebuilt; one the engine did not create is refused with a permanent error naming the fix.
   */
  ensureCanary(rollout: RolloutRef, replicas: number): Promise<void>;
  /** Points stable selection at the target's current revision, routes `weight` % to the canary, reads it back. */
  setCanaryWeight(rollout: RolloutRef, weight: number): Promise<void>;
  /** Sets the rolled container's image in the target Deployment: promotion, or restoring the previous image. */
  setStableImage(rollout: RolloutRef, image: string): Promise<void>;
  /**
   * Removes what this rollout created (canary Deployment, canary Service/Ingress) and restores the stable
   * selection it narrowed. Objects it does not own are left alone.
   */
  deleteCanary(rollout: RolloutRef): Promise<void>;
}

/** Named clusters; a rollout's `spec.cluster` picks one. */
export interface ClusterRegistry {
  names(): string[];
  /** Throws UnknownClusterError naming the known clusters. */
  get(name: string): ClusterPort;
}
