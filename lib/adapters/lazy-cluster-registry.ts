import { UnknownClusterError } from '../app/errors.js';
import type { Observation } from '../domain/commands.js';
import type { RolloutSpec } from '../domain/spec.js';
import type { ClusterPort, ClusterRegistry } from '../ports/cluster.js';
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
      observe: async (spec: RolloutSpec): Promise<Omit<Observation, 'analysis'>> => (await port()).observe(spec),
      ensureCanary: async (spec: RolloutSpec) => (await port()).ensureCanary(spec),
      setCanaryWeight: async (spec: RolloutSpec, weight: number) => (await port()).setCanaryWeight(spec, weight),
      promoteStable: async (spec: RolloutSpec) => (await port()).promoteStable(spec),
      deleteCanary: async (spec: RolloutSpec) => (await port()).deleteCanary(spec),
    };
  }
}
