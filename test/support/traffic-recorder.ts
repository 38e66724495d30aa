import { CustomObjectsApi, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import { canaryShareOfHttpRoute, canaryShareOfIngress, canaryShareOfVirtualService, type DemoProvider } from '../../infra/local/demo/weights.js';

/**
 * Polls the traffic object the engine writes and keeps the sequence of distinct canary weights, so a
 * test can assert the walk (10 → 50 → 100 → 0) as the cluster saw it, not as the engine claims.
 */
export function recordCanaryWeights(kubeconfigPath: string, namespace: string, app: string, provider: DemoProvider, everyMs = 50) {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const networking = kc.makeApiClient(NetworkingV1Api);
  const walk: number[] = [];
  let running = true;
  const read = async (): Promise<number | undefined> => {
    if (provider === 'istio') return canaryShareOfVirtualService(await custom.getNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1', namespace, plural: 'virtualservices', name: app }), app);
    if (provider === 'gatewayApi') return canaryShareOfHttpRoute(await custom.getNamespacedCustomObject({ group: 'gateway.networking.k8s.io', version: 'v1', namespace, plural: 'httproutes', name: app }), app, namespace);
    const canary = await networking.readNamespacedIngress({ name: `${app}-canary`, namespace }).catch(() => undefined);
    return canaryShareOfIngress(canary);
  };
  const loop = (async () => {
    while (running) {
      const weight = await read().catch(() => undefined);
      if (weight !== undefined && walk.at(-1) !== weight) walk.push(weight);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    walk,
    current: read,
    async stop() { running = false; await loop; },
  };
}
