import { UnknownClusterError } from '../app/errors.js';
import type { ClusterPort, ClusterRegistry } from '../ports/cluster.js';

/** A registry over ports built elsewhere (tests, or a composition root that builds them eagerly). */
export class StaticClusterRegistry implements ClusterRegistry {
  constructor(private readonly clusters: ReadonlyMap<string, ClusterPort>) {}

  names(): string[] {
    return [...this.clusters.keys()].sort();
  }

  get(name: string): ClusterPort {
    const port = this.clusters.get(name);
    if (!port) throw new UnknownClusterError(name, this.names());
    return port;
  }
}
