/**
 * ClusterPort for one Kubernetes cluster: the canary workload plus the traffic provider the rollout's
 * spec names. Clients are resolved lazily (a token may first have to be fetched from a secret store).
 *
 * Order of effects, so that stable traffic only ever reaches stable pods (see stable-selection.ts):
 * - ensureCanary narrows stable selection to the target's current ReplicaSet BEFORE any canary pod exists;
 * - setCanaryWeight re-points it at the target's current ReplicaSet (a promotion makes a new one) before
 *   it moves the weight;
 * - deleteCanary moves traffic off the canary, deletes the canary, waits until its pods are going, and only
 *   then restores the stable selection (the restored selector would match canary pods again).
 */
import type { RolloutSpec } from '../../domain/spec.js';
import type { ClusterObservation, ClusterPort, RolloutRef } from '../../ports/cluster.js';
import {
  assertCanaryNotForeign, deleteCanaryDeployment, ensureCanaryDeployment, observeWorkload, setStableImage,
} from './canary-deployment.js';
import type { KubeClients } from './client.js';
import { callOptional, KubernetesApiError } from './errors.js';
import { gatewayApiTraffic } from './gateway-api.js';
import { istioTraffic } from './istio.js';
import { nginxTraffic } from './nginx.js';
import { currentRevisionHash } from './stable-selection.js';
import { unlessAbsent, type TrafficProvider } from './traffic.js';
import { readTarget, targetRef } from './workload.js';

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

  /** Missing objects are facts here (a rollback must finish without them); other faults still throw. */
  async observe(rollout: RolloutRef): Promise<ClusterObservation> {
    const { kube, traffic } = await this.traffic(rollout.spec);
    const [workload, view] = await Promise.all([observeWorkload(kube, rollout), traffic.read(rollout)]);
    const missing = [...workload.missing, ...view.missing];
    const foreign = [...workload.foreign, ...view.foreign];
    return {
      canary: workload.canary,
      stable: workload.stable,
      weight: view.weight,
      ...(missing.length ? { missing } : {}),
      ...(foreign.length ? { foreign } : {}),
      stableNarrowed: view.narrowed,
    };
  }

  async ensureCanary(rollout: RolloutRef, replicas: number): Promise<void> {
    const { kube, traffic } = await this.traffic(rollout.spec);
    const target = await readTarget(kube, rollout.spec);
    await assertCanaryNotForeign(kube, rollout); // refuse before narrowing anything
    await traffic.narrowStable(rollout, await currentRevisionHash(kube, target));
    await ensureCanaryDeployment(kube, rollout, target, replicas);
  }

  /**
   * Writes, then reads back: a webhook or another controller rewriting the object must not go unnoticed.
   * Weight 0 (traffic back to stable) cannot be wrong to ask for, so what is missing for it (target, route
   * object, CRD) does not fail it: nothing missing can route to the canary. Without a target there are no
   * stable pods to narrow to, and the provider releases the canary's route instead of rewriting it.
   */
  async setCanaryWeight(rollout: RolloutRef, weight: number): Promise<void> {
    const { spec } = rollout;
    const { kube, traffic } = await this.traffic(spec);
    if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
      throw new KubernetesApiError(kube.cluster, 'Invalid', `canary weight must be an integer from 0 to 100, got ${weight}`, true);
    }
    if (weight > 0) {
      const target = await readTarget(kube, spec);
      await traffic.narrowStable(rollout, await currentRevisionHash(kube, target));
      await traffic.setCanaryWeight(rollout, weight);
    } else {
      const target = await callOptional(kube.cluster, 'get', targetRef(spec), () => kube.deployments.read({ name: spec.targetDeployment, namespace: spec.namespace }));
      if (target) await unlessAbsent(async () => traffic.narrowStable(rollout, await currentRevisionHash(kube, target)));
      await unlessAbsent(() => (target ? traffic.setCanaryWeight(rollout, 0) : traffic.release(rollout)));
    }
    const view = await traffic.read(rollout);
    const routesNothing = weight === 0 && view.weight === undefined && view.missing.length > 0;
    if (view.weight !== weight && !routesNothing) {
      throw new KubernetesApiError(kube.cluster, 'Conflict', `wrote canary weight ${weight} to ${spec.trafficRouting.provider} object ${spec.namespace}/${spec.trafficRouting.routeObject} but read back ${view.weight ?? 'nothing'}; something else rewrites it`, false);
    }
  }

  async setStableImage(rollout: RolloutRef, image: string): Promise<void> {
    await setStableImage(await this.clients(), rollout, image);
  }

  /**
   * Traffic first, then pods, then stable selection: a canary Deployment must not vanish while requests
   * still route to it, and the stable selector must not widen while canary pods still run. A route object,
   * CRD or target that is missing has nothing to undo, so it does not stop the cleanup.
   */
  async deleteCanary(rollout: RolloutRef): Promise<void> {
    const { kube, traffic } = await this.traffic(rollout.spec);
    await traffic.release(rollout);
    await deleteCanaryDeployment(kube, rollout);
    await traffic.restoreStable(rollout);
  }
}
