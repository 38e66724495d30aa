import { UnknownClusterError } from '../app/errors.js';
import type { CanaryObjects } from '../ports/canary-objects.js';
import type { ClusterObservation, ClusterPort, ClusterRegistry, RolloutRef } from '../ports/cluster.js';
import type { StatusMirror } from '../ports/status-mirror.js';
import type { RolloutState } from '../domain/state.js';
import { log } from '../log.js';

/** What the lazily loaded registry offers besides clusters. */
export interface LoadedRegistry extends ClusterRegistry, StatusMirror {
  objects(cluster: string): CanaryObjects;
}

/**
 * Knows the registered cluster names at once but loads the Kubernetes client only when a cluster is
 * first used: most HTTP functions (reads, actions) never talk to a cluster, so they should not pay for
 * loading the Kubernetes adapter.
 */
export class LazyClusterRegistry implements ClusterRegistry, StatusMirror {
  private loaded: Promise<LoadedRegistry> | undefined;

  constructor(private readonly clusterNames: string[], private readonly load: () => Promise<LoadedRegistry>) {}

  /** The rollout's full status (conditions, observedGeneration) into its CanaryDeployment object. */
  async mirror(state: RolloutState): Promise<void> {
    if (!this.clusterNames.includes(state.source?.cluster ?? state.spec.cluster)) return;
    await (await this.registry()).mirror(state);
  }

  /** A cluster's CanaryDeployment objects; the Kubernetes adapter is loaded on the first call that needs it. */
  objects(cluster: string): CanaryObjects {
    if (!this.clusterNames.includes(cluster)) throw new UnknownClusterError(cluster, this.names());
    const objects = async (): Promise<CanaryObjects> => (await this.registry()).objects(cluster);
    return {
      list: async (namespaces) => (await objects()).list(namespaces),
      get: async (namespace, name) => (await objects()).get(namespace, name),
      create: async (document, rolloutId) => (await objects()).create(document, rolloutId),
      writeStatus: async (namespace, name, status) => (await objects()).writeStatus(namespace, name, status),
      recordEvent: async (namespace, name, uid, event) => {
        // Best effort, as the port says: even a failure to load the adapter is no reason to throw.
        try {
          await (await objects()).recordEvent(namespace, name, uid, event);
        } catch (error) {
          log.warn('could not record a Kubernetes Event', { cluster, object: `${namespace}/${name}`, reason: event.reason, error: error instanceof Error ? error.message : String(error) });
        }
      },
    };
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
