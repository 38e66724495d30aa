import { parseCanaryDeployment } from '../../lib/domain/spec.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { exampleDocument } from '../support/fixtures.js';
import { describeClusterPortContract } from './cluster-port.contract.js';

/**
 * The in-memory fake used by the tick-loop tests must behave like the real adapter, or those tests
 * prove nothing: it passes the same contract as the Kubernetes adapter, failure cases included.
 */
describeClusterPortContract('in-memory fake', async () => {
  const port = new FakeCluster();
  const rollout = { id: 'ro_contract_fake', spec: parseCanaryDeployment(exampleDocument('myapp')).spec };
  const workload = () => port.workload(rollout.spec);
  return {
    port,
    rollout,
    seedTarget: async () => undefined,
    cleanup: async () => undefined,
    injectConflict: () => port.conflictOnce('setCanaryWeight'),
    forbidden: () => {
      const refusing = new FakeCluster();
      refusing.forbid('ensureCanary');
      return refusing;
    },
    removeTrafficObject: () => { workload().trafficMissing = true; },
    removeTarget: () => { workload().targetMissing = true; },
  };
}, { eventuallyMs: 2_000 });
