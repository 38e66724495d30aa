import { parseCanaryDeployment } from '../../lib/domain/spec.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { exampleDocument } from '../support/fixtures.js';
import { describeClusterPortContract } from './cluster-port.contract.js';

/**
 * The in-memory fake used by the tick-loop tests must behave like the real adapter, or those tests
 * prove nothing: it passes the same contract as the Kubernetes adapter.
 */
describeClusterPortContract('in-memory fake', async () => {
  const port = new FakeCluster();
  return {
    port,
    spec: parseCanaryDeployment(exampleDocument('myapp')).spec,
    seedTarget: async () => undefined,
    cleanup: async () => undefined,
  };
}, { eventuallyMs: 2_000 });
