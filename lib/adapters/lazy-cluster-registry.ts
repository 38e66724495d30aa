import { UnknownClusterError } from '../app/errors.js';
import type { RolloutSpec } from '../domain/spec.js';
import type { ClusterObservation, ClusterPort, ClusterRegistry, RolloutRef } from '../ports/cluster.js';
import { mirroredStatus, type StatusMirror } from '../ports/status-mirror.js';
import type { RolloutState } from '../domain/state.js';

/** What the lazily loaded registry offers besides clusters. */
export interface LoadedRegistry extends ClusterRegistry {
  mirrorStatus(spec: RolloutSpec, status: ReturnType<typeof mirroredStatus>): Promise<void>;
}

/**
 * Knows the registered cluster names at once but loads the Kubernetes client only when a cluster is
 * first used: most HTTP functions (reads, actions) never talk to a cluster, so they should not pay for
 * loading the Kubernetes adapter.
 */
export class LazyClusterRegistry implements ClusterRegistry, StatusMirror {
  private loaded: Promise<LoadedRegistry> | undefined;

  constructor(private readonly clusterNames: string[], private readonly load: () => Promise<LoadedRegistry>) {}

  async mirror(state: RolloutState): Promise<void> {
    if (!this.clusterNames.includes(state.spec.cluster)) return;
    await (await this.registry()).mirrorStatus(state.spec, mirroredStatus(state));
  }

  private registry(): Promise<LoadedRegistry> {
    this.loaded ??= this.load();
    this.loaded.catch(() => { this.loaded = undefined; });
    return this.loaded;
  }

  names(): string[] {
    return [...this.clusterNames].sort();
  }

  get(name: string): ClusterPort {
    if (!this.clusterNames.includes(name)) throw new UnknownClusterError(name, this.names());
    const port = async (): Promise<ClusterPort> => (await this.registry()).get(name);
    return {
      observe: async (rollout: RolloutRef): Promise<ClusterObservation> => (await port()).observe(rollout),
      ensureCanary: async (rollout: RolloutRef, replicas: number) => (await port()).ensureCanary(rollout, replicas),
      setCanaryWeight: async (rollout: RolloutRef, weight: number) => (await port()).setCanaryWeight(rollout, weight),
      setStableImage: async (rollout: RolloutRef, image: string) => (await port()).setStableImage(rollout, image),
      deleteCanary: async (rollout: RolloutRef) => (await port()).deleteCanary(rollout),
    };
  }
}
