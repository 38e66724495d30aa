import { UnknownClusterError } from '../app/errors.js';
import type { Observation } from '../domain/commands.js';
import type { RolloutSpec } from '../domain/spec.js';
import type { ClusterPort, ClusterRegistry } from '../ports/cluster.js';

/**
 * Knows the registered cluster names at once but loads the Kubernetes client only when a cluster is
 * first used: importing @kubernetes/client-node costs hundreds of milliseconds, and most HTTP
 * functions (reads, actions) never talk to a cluster.
 */
export class LazyClusterRegistry implements ClusterRegistry {
  private loaded: Promise<ClusterRegistry> | undefined;

  constructor(private readonly clusterNames: string[], private readonly load: () => Promise<ClusterRegistry>) {}

  names(): string[] {
    return [...this.clusterNames].sort();
  }

  get(name: string): ClusterPort {
    if (!this.clusterNames.includes(name)) throw new UnknownClusterError(name, this.names());
    const port = async (): Promise<ClusterPort> => {
      this.loaded ??= this.load();
      this.loaded.catch(() => { this.loaded = undefined; });
      return (await this.loaded).get(name);
    };
    return {
      observe: async (spec: RolloutSpec): Promise<Omit<Observation, 'analysis'>> => (await port()).observe(spec),
      ensureCanary: async (spec: RolloutSpec) => (await port()).ensureCanary(spec),
      setCanaryWeight: async (spec: RolloutSpec, weight: number) => (await port()).setCanaryWeight(spec, weight),
      promoteStable: async (spec: RolloutSpec) => (await port()).promoteStable(spec),
      deleteCanary: async (spec: RolloutSpec) => (await port()).deleteCanary(spec),
    };
  }
}
