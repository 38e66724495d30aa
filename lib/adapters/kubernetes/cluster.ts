/**
 * ClusterPort for one Kubernetes cluster: the canary workload plus the traffic provider the rollout's
 * spec names. Clients are resolved lazily (a token may first have to be fetched from a secret store).
 */
import type { Observation } from '../../domain/commands.js';
import type { RolloutSpec } from '../../domain/spec.js';
import type { ClusterPort } from '../../ports/cluster.js';
import type { KubeClients } from './client.js';
import { isAbsent, KubernetesApiError } from './errors.js';
import { gatewayApiTraffic } from './gateway-api.js';
import { istioTraffic } from './istio.js';
import { nginxTraffic } from './nginx.js';
import type { TrafficProvider } from './traffic.js';
import { deleteCanary, ensureCanary, observeWorkload, promoteStable } from './workload.js';

const providers: Record<RolloutSpec['trafficRouting']['provider'], (kube: KubeClients) => TrafficProvider> = {
  istio: istioTraffic,
  nginx: nginxTraffic,
  gatewayApi: gatewayApiTraffic,
};

export class KubernetesCluster implements ClusterPort {
  constructor(private readonly clients: () => Promise<KubeClients>) {}

  private async traffic(spec: RolloutSpec): Promise<{ kube: KubeClients; traffic: TrafficProvider }> {
    const kube = await this.clients();
    return { kube, traffic: providers[spec.trafficRouting.provider](kube) };
  }

  async observe(spec: RolloutSpec): Promise<Omit<Observation, 'analysis'>> {
    const { kube, traffic } = await this.traffic(spec);
    const [workload, weight] = await Promise.all([observeWorkload(kube, spec), traffic.readCanaryWeight(spec)]);
    return { ...workload, weight };
  }

  async ensureCanary(spec: RolloutSpec): Promise<void> {
    await ensureCanary(await this.clients(), spec);
  }

  /** Writes, then reads back: a webhook or another controller rewriting the object must not go unnoticed. */
  async setCanaryWeight(spec: RolloutSpec, weight: number): Promise<void> {
    const { kube, traffic } = await this.traffic(spec);
    if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
      throw new KubernetesApiError(kube.cluster, 'Invalid', `canary weight must be an integer from 0 to 100, got ${weight}`, true);
    }
    await traffic.setCanaryWeight(spec, weight);
    const read = await traffic.readCanaryWeight(spec);
    if (read !== weight) {
      throw new KubernetesApiError(kube.cluster, 'Conflict', `wrote canary weight ${weight} to ${spec.trafficRouting.provider} object ${spec.namespace}/${spec.trafficRouting.routeObject} but read back ${read ?? 'nothing'}; something else rewrites it`, false);
    }
  }

  async promoteStable(spec: RolloutSpec): Promise<void> {
    await promoteStable(await this.clients(), spec);
  }

  /**
   * Traffic first, then pods: a canary Deployment must not vanish while requests still route to it.
   * A route object or CRD that is missing routes nothing, so it does not stop the cleanup.
   */
  async deleteCanary(spec: RolloutSpec): Promise<void> {
    const { kube, traffic } = await this.traffic(spec);
    try {
      await traffic.release(spec);
    } catch (err) {
      if (!isAbsent(err)) throw err;
    }
    await deleteCanary(kube, spec);
  }
}
