import type { RolloutSpec } from '../../lib/domain/spec.js';
import type { ClusterObservation, ClusterPort, ClusterRegistry, RolloutRef } from '../../lib/ports/cluster.js';
import { StaticClusterRegistry } from '../../lib/adapters/static-cluster-registry.js';
import { KubernetesApiError } from '../../lib/adapters/kubernetes/errors.js';

interface Workload {
  stableImage: string;
  stableReplicas: number;
  /** Bumped by a hand edit of the target's template. */
  templateRevision: number;
  /** Absent: no canary. `owner` is the rollout id the canary was created for; undefined = not Codedance's. */
  canary?: { image: string; replicas: number; owner: string | undefined };
  weight: number;
  /** Stable selection narrowed by this rollout id. */
  narrowedBy?: string;
  crash?: ClusterObservation['canary']['crash'];
  targetMissing?: boolean;
  trafficMissing?: boolean;
  /** The target's own rollout: 'stuck' never becomes available after an image change, 'failed' also reports the condition. */
  stableRollout?: 'ok' | 'stuck' | 'failed';
  stableRolling?: boolean;
  /** Another writer that puts this image back after every change of ours (a fight), with its field manager. */
  revertTo?: { image: string; manager: string };
  imageManager?: string;
}

export type FakeVerb = 'observe' | 'ensureCanary' | 'setCanaryWeight' | 'setStableImage' | 'deleteCanary';

/**
 * In-memory cluster for tests of the tick loop. It keeps what a real one would show (canaries become
 * available at once, weights read back as written, stable selection narrowed and restored, the history of
 * weights) and fails the way a real apiserver does: a missing target is NotFound, a refused verb is
 * Forbidden (permanent), a concurrent writer is a transient Conflict.
 */
export class FakeCluster implements ClusterPort {
  readonly workloads = new Map<string, Workload>();
  readonly weightHistory = new Map<string, number[]>();
  writes = 0;
  private readonly forbidden = new Set<FakeVerb>();
  private readonly conflicts = new Map<FakeVerb, number>();
  /** While set, every call fails as an unreachable apiserver does (transient). */
  unreachable = false;

  private key = (spec: RolloutSpec): string => `${spec.namespace}/${spec.targetDeployment}`;

  workload(spec: RolloutSpec): Workload {
    const key = this.key(spec);
    let found = this.workloads.get(key);
    if (!found) {
      found = { stableImage: `${spec.targetDeployment}:v1`, stableReplicas: 2, templateRevision: 1, weight: 0 };
      this.workloads.set(key, found);
    }
    return found;
  }

  private gate(verb: FakeVerb, spec: RolloutSpec): void {
    if (this.unreachable) throw new KubernetesApiError(spec.cluster, 'Unavailable', `apiserver unreachable while trying to ${verb} (fake): connect ECONNREFUSED`, false);
    if (this.forbidden.has(verb)) throw new KubernetesApiError(spec.cluster, 'Forbidden', `forbidden: the engine's ClusterRole lacks ${verb} (fake)`, true);
    const left = this.conflicts.get(verb) ?? 0;
    if (left > 0) {
      this.conflicts.set(verb, left - 1);
      throw new KubernetesApiError(spec.cluster, 'Conflict', `${verb}: the object kept changing under us; will retry (fake)`, false);
    }
  }

  private notFound(spec: RolloutSpec, what: string): KubernetesApiError {
    return new KubernetesApiError(spec.cluster, 'NotFound', `${what} not found (fake)`, true);
  }

  async observe({ id, spec }: RolloutRef): Promise<ClusterObservation> {
    this.gate('observe', spec);
    const w = this.workload(spec);
    const missing = [
      ...(w.targetMissing ? [`Deployment ${spec.namespace}/${spec.targetDeployment}`] : []),
      ...(w.trafficMissing ? [`${spec.trafficRouting.provider} route ${spec.namespace}/${spec.trafficRouting.routeObject}`] : []),
    ];
    const canary = w.canary;
    const ours = canary !== undefined && canary.owner === id;
    const foreign = canary && canary.owner === undefined ? [`Deployment ${spec.namespace}/${spec.targetDeployment}-canary (not created by Codedance)`] : [];
    const stable = w.targetMissing
      ? { exists: false, available: false }
      : {
        exists: true, image: w.stableImage, replicas: w.stableReplicas, templateHash: `t${w.templateRevision}`,
        available: !w.stableRolling,
        ...(w.stableRolling && w.stableRollout === 'failed' ? { failed: 'ProgressDeadlineExceeded: ReplicaSet has timed out progressing' } : {}),
        ...(w.imageManager ? { imageManager: w.imageManager } : {}),
      };
    return {
      canary: { exists: ours, available: ours && !w.crash, ...(ours ? { replicas: canary.replicas } : {}), ...(ours && w.crash ? { crash: w.crash } : {}) },
      stable,
      weight: w.trafficMissing ? undefined : w.weight,
      ...(missing.length ? { missing } : {}),
      ...(foreign.length ? { foreign } : {}),
      stableNarrowed: w.narrowedBy !== undefined,
    };
  }

  async ensureCanary({ id, spec }: RolloutRef, replicas: number): Promise<void> {
    this.gate('ensureCanary', spec);
    const w = this.workload(spec);
    if (w.targetMissing) throw this.notFound(spec, `Deployment ${spec.namespace}/${spec.targetDeployment}`);
    if (w.canary && w.canary.owner === undefined) {
      throw new KubernetesApiError(spec.cluster, 'Invalid', `Deployment ${spec.namespace}/${spec.targetDeployment}-canary was not created by Codedance: rename or delete it (fake)`, true);
    }
    this.writes++;
    w.narrowedBy = id;
    w.canary = { image: spec.canaryImage, replicas, owner: id };
  }

  async setCanaryWeight({ spec }: RolloutRef, weight: number): Promise<void> {
    this.gate('setCanaryWeight', spec);
    const w = this.workload(spec);
    // Back to stable never fails on a missing route: nothing missing can route to the canary.
    if (w.trafficMissing && weight === 0) return;
    if (w.trafficMissing) throw this.notFound(spec, `route ${spec.namespace}/${spec.trafficRouting.routeObject}`);
    this.writes++;
    w.weight = weight;
    const history = this.weightHistory.get(this.key(spec)) ?? [];
    if (history.at(-1) !== weight) history.push(weight);
    this.weightHistory.set(this.key(spec), history);
  }

  async setStableImage({ spec }: RolloutRef, image: string): Promise<void> {
    this.gate('setStableImage', spec);
    const w = this.workload(spec);
    if (w.targetMissing) throw this.notFound(spec, `Deployment ${spec.namespace}/${spec.targetDeployment}`);
    this.writes++;
    if (w.stableImage === image) return;
    w.stableImage = image;
    w.imageManager = 'codedance';
    // Restoring the previous template reuses its ReplicaSet, which is available; only the new image can stick.
    w.stableRolling = (w.stableRollout === 'stuck' || w.stableRollout === 'failed') && image === spec.canaryImage;
    if (w.revertTo && image !== w.revertTo.image) {
      w.stableImage = w.revertTo.image;
      w.imageManager = w.revertTo.manager;
    }
  }

  async deleteCanary({ id, spec }: RolloutRef): Promise<void> {
    this.gate('deleteCanary', spec);
    const w = this.workload(spec);
    this.writes++;
    if (!w.trafficMissing) w.weight = 0;
    if (w.canary?.owner === id) delete w.canary;
    if (w.narrowedBy === id) delete w.narrowedBy;
  }

  crash(namespace: string, target: string, crash: NonNullable<Workload['crash']>): void {
    const w = this.workloads.get(`${namespace}/${target}`);
    if (w) w.crash = crash;
  }

  /** Failure modes a real cluster shows. */
  forbid(verb: FakeVerb): void { this.forbidden.add(verb); }
  allow(verb: FakeVerb): void { this.forbidden.delete(verb); }
  conflictOnce(verb: FakeVerb, times = 1): void { this.conflicts.set(verb, times); }
}

export function fakeRegistry(cluster: FakeCluster, names: string[] = ['default']): ClusterRegistry {
  return new StaticClusterRegistry(new Map(names.map((n) => [n, cluster])));
}
