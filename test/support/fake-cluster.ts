import type { Observation } from '../../lib/domain/commands.js';
import type { RolloutSpec } from '../../lib/domain/spec.js';
import type { ClusterPort, ClusterRegistry } from '../../lib/ports/cluster.js';
import { StaticClusterRegistry } from '../../lib/adapters/static-cluster-registry.js';

interface Workload {
  stableImage: string;
  canaryImage?: string;
  weight: number;
  crash?: Observation['canary']['crash'];
}

/**
 * In-memory cluster for tests of the tick loop: canaries become available at once, weights are
 * read back as written, and the history of weights is kept so tests can assert the walk.
 */
export class FakeCluster implements ClusterPort {
  readonly workloads = new Map<string, Workload>();
  readonly weightHistory = new Map<string, number[]>();
  writes = 0;

  private key = (spec: RolloutSpec): string => `${spec.namespace}/${spec.targetDeployment}`;

  private workload(spec: RolloutSpec): Workload {
    const key = this.key(spec);
    let found = this.workloads.get(key);
    if (!found) {
      found = { stableImage: `${spec.targetDeployment}:v1`, weight: 0 };
      this.workloads.set(key, found);
    }
    return found;
  }

  async observe(spec: RolloutSpec): Promise<Omit<Observation, 'analysis'>> {
    const w = this.workload(spec);
    const exists = w.canaryImage !== undefined;
    return { canary: { exists, available: exists && !w.crash, ...(w.crash ? { crash: w.crash } : {}) }, stable: { image: w.stableImage, available: true }, weight: w.weight };
  }

  async ensureCanary(spec: RolloutSpec): Promise<void> {
    this.writes++;
    this.workload(spec).canaryImage = spec.canaryImage;
  }

  async setCanaryWeight(spec: RolloutSpec, weight: number): Promise<void> {
    this.writes++;
    this.workload(spec).weight = weight;
    const history = this.weightHistory.get(this.key(spec)) ?? [];
    if (history.at(-1) !== weight) history.push(weight);
    this.weightHistory.set(this.key(spec), history);
  }

  async promoteStable(spec: RolloutSpec): Promise<void> {
    this.writes++;
    this.workload(spec).stableImage = spec.canaryImage;
  }

  async deleteCanary(spec: RolloutSpec): Promise<void> {
    this.writes++;
    delete this.workload(spec).canaryImage;
  }

  crash(namespace: string, target: string, crash: NonNullable<Workload['crash']>): void {
    const w = this.workloads.get(`${namespace}/${target}`);
    if (w) w.crash = crash;
  }
}

export function fakeRegistry(cluster: FakeCluster, names: string[] = ['default']): ClusterRegistry {
  return new StaticClusterRegistry(new Map(names.map((n) => [n, cluster])));
}
