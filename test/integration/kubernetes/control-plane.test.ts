/**
 * The local control plane behaves like a real cluster where the engine depends on it: Deployments roll to
 * Ready pods (kwok), clusters are isolated, crash-looping pods look like the kubelet's, RBAC limits the
 * engine's token, and the CanaryDeployment status subresource accepts the engine's patches.
 * Needs the binaries built once (`npm run cluster -- build`, 15-25 minutes the first time).
 */
import {
  AdmissionregistrationV1Api, ApiException, ApiextensionsV1Api, AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy,
  setHeaderOptions, type V1Deployment, type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startClusters, type LocalClusters } from '../../../infra/local/kubernetes/launcher.js';
import { RESYNC_ANNOTATION } from '../../../infra/local/kubernetes/pod-resync.js';

const MINUTE = 60_000;
const NS = 'default';
const CANARY = { group: 'deploy.codedance.io', version: 'v1alpha1', plural: 'canarydeployments' } as const;

function clients(kubeconfigPath: string) {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return {
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    crds: kc.makeApiClient(ApiextensionsV1Api),
    admission: kc.makeApiClient(AdmissionregistrationV1Api),
  };
}

function deployment(name: string, image: string, replicas: number, extraLabels: Record<string, string> = {}): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name, ...extraLabels } }, spec: { containers: [{ name: 'app', image }] } },
    },
  };
}

/** The HTTP status a rejected call ended with (ApiException.code), or 200 when it succeeded. */
async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (err) {
    if (err instanceof ApiException) return err.code;
    throw err;
  }
}

const isReady = (pod: V1Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const waitFor = <T>(assertion: () => Promise<T>) => vi.waitFor(assertion, { timeout: 60_000, interval: 500 });

describe('local Kubernetes control plane', () => {
  let local: LocalClusters;
  let east: ReturnType<typeof clients>;
  let west: ReturnType<typeof clients>;
  let eastEngine: ReturnType<typeof clients>;
  const launcherLines: string[] = [];

  beforeAll(async () => {
    local = await startClusters({ names: ['east', 'west'], log: (line) => { launcherLines.push(line); process.stderr.write(`[k8s] ${line}\n`); } });
    const [e, w] = local.clusters;
    east = clients(e!.kubeconfigPath);
    west = clients(w!.kubeconfigPath);
    eastEngine = clients(e!.engineKubeconfigPath);
  }, 5 * MINUTE);

  afterAll(async () => {
    await local?.stop();
  }, 2 * MINUTE);

  it('rolls a Deployment out to Ready pods in one cluster, invisible to the other', async () => {
    // Prepare / Act
    await east.apps.createNamespacedDeployment({ namespace: NS, body: deployment('web', 'demo:v1', 2) });

    // Assess
    const pods = await waitFor(async () => {
      const list = await east.core.listNamespacedPod({ namespace: NS, labelSelector: 'app=web' });
      expect(list.items).toHaveLength(2);
      expect(list.items.every((p) => p.status?.phase === 'Running' && isReady(p))).toBe(true);
      return list.items;
    });
    expect(pods.every((p) => p.status?.containerStatuses?.[0]?.ready)).toBe(true);
    await waitFor(async () => {
      const d = await east.apps.readNamespacedDeployment({ name: 'web', namespace: NS });
      expect(d.status?.availableReplicas).toBe(2);
      expect(d.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    });
    expect(await statusOf(west.apps.readNamespacedDeployment({ name: 'web', namespace: NS }))).toBe(404);
    expect((await west.core.listNamespacedPod({ namespace: NS })).items).toHaveLength(0);
  }, 3 * MINUTE);

  it.each([
    ['the simulate label', 'crashy-label', 'demo:v1', { 'codedance.io/simulate': 'crashloop' }],
    ['an image tag containing "crash"', 'crashy-image', 'registry.local:5000/demo:v2-crash', {}],
  ])('shows a pod with %s in CrashLoopBackOff, Running but not Ready', async (_why, name, image, labels) => {
    await east.apps.createNamespacedDeployment({ namespace: NS, body: deployment(name, image, 1, labels) });

    const pod = await waitFor(async () => {
      const [p] = (await east.core.listNamespacedPod({ namespace: NS, labelSelector: `app=${name}` })).items;
      expect(p?.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('CrashLoopBackOff');
      return p!;
    });
    const container = pod.status?.containerStatuses?.[0];
    expect(container?.restartCount).toBeGreaterThanOrEqual(1);
    expect(container?.ready).toBe(false);
    expect(pod.status?.phase).toBe('Running');
    expect(isReady(pod)).toBe(false);
  }, 3 * MINUTE);

  it('lets the engine token read a Deployment but not list them, nor read Secrets', async () => {
    const deployment = await eastEngine.apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    expect(deployment.metadata?.name).toBe('web');
    // Least privilege: the engine reads the Deployments rollouts name, it never lists them.
    expect(await statusOf(eastEngine.apps.listNamespacedDeployment({ namespace: NS }))).toBe(403);

    expect(await statusOf(eastEngine.core.listNamespacedSecret({ namespace: NS }))).toBe(403);
    // Pods are read-only for the engine: it changes workloads only through their Deployments.
    const pod = { metadata: { name: 'direct' }, spec: { containers: [{ name: 'app', image: 'demo:v1' }] } };
    expect(await statusOf(eastEngine.core.createNamespacedPod({ namespace: NS, body: pod }))).toBe(403);
  }, 2 * MINUTE);

  it('has the CanaryDeployment CRD, whose status the engine may patch but whose spec it may not', async () => {
    const crd = await east.crds.readCustomResourceDefinition({ name: 'canarydeployments.deploy.codedance.io' });
    expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    await east.custom.createNamespacedCustomObject({
      ...CANARY, namespace: NS,
      body: { apiVersion: 'deploy.codedance.io/v1alpha1', kind: 'CanaryDeployment', metadata: { name: 'web' }, spec: { targetDeployment: 'web', canaryVersion: 'demo:v2' } },
    });
    const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const status = { phase: 'Progressing', weight: 25, step: '2/6', health: 97.5, message: 'step 2 healthy', rolloutId: 'r-1', observedAt: new Date().toISOString() };

    await eastEngine.custom.patchNamespacedCustomObjectStatus({ ...CANARY, namespace: NS, name: 'web', body: { status } }, mergePatch);

    const saved = await east.custom.getNamespacedCustomObject({ ...CANARY, namespace: NS, name: 'web' }) as { status?: unknown; spec?: unknown };
    expect(saved.status).toEqual(status);
    // The engine reads objects (the cluster sync) and writes their status, never their spec, nor deletes them.
    expect(await statusOf(eastEngine.custom.getNamespacedCustomObject({ ...CANARY, namespace: NS, name: 'web' }))).toBe(200);
    const specPatch = eastEngine.custom.patchNamespacedCustomObject({ ...CANARY, namespace: NS, name: 'web', body: { spec: { canaryVersion: 'demo:v3' } } }, mergePatch);
    expect(await statusOf(specPatch)).toBe(403);
    expect(await statusOf(eastEngine.custom.deleteNamespacedCustomObject({ ...CANARY, namespace: NS, name: 'web' }))).toBe(403);
  }, 2 * MINUTE);

  it('re-syncs a bound pod that kwok dropped after a refused status write, as a kubelet would', async () => {
    // Prepare: a policy refuses status writes to pods labelled drop-status, which kwok does not retry.
    const policyName = 'refuse-pod-status';
    await east.admission.createValidatingAdmissionPolicy({ body: {
      metadata: { name: policyName },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['pods/status'] }] },
        validations: [{ expression: "!has(object.metadata.labels) || !('drop-status' in object.metadata.labels)", message: 'status writes refused by the test' }],
      },
    } });
    await east.admission.createValidatingAdmissionPolicyBinding({ body: { metadata: { name: policyName }, spec: { policyName, validationActions: ['Deny'] } } });
    // The policy is live once our own status write to an unscheduled pod is refused.
    const labels = { 'drop-status': 'yes' };
    await east.core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'probe', labels }, spec: { schedulerName: 'nobody', containers: [{ name: 'app', image: 'demo:v1' }] } } });
    await waitFor(async () => {
      const write = east.core.patchNamespacedPodStatus({ name: 'probe', namespace: NS, body: { status: { message: 'probe' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      expect(await statusOf(write)).not.toBe(200);
    });

    // Act: a pod bound straight to a kwok node; kwok's Ready write is refused and dropped.
    await east.core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'dropped', labels }, spec: { nodeName: 'kwok-node-0', containers: [{ name: 'app', image: 'demo:v1' }] } } });
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await east.core.readNamespacedPod({ name: 'dropped', namespace: NS })).status?.phase).toBe('Pending');
    await east.admission.deleteValidatingAdmissionPolicyBinding({ name: policyName });

    // Assess: nothing else touches the pod, so only the re-sync can have made it Ready.
    const pod = await waitFor(async () => {
      const p = await east.core.readNamespacedPod({ name: 'dropped', namespace: NS });
      expect(isReady(p)).toBe(true);
      return p;
    });
    expect(pod.metadata?.annotations?.[RESYNC_ANNOTATION]).toBeDefined();
    expect(launcherLines.some((l) => l.includes('east: pod default/dropped on kwok-node-0 still Pending'))).toBe(true);
  }, 3 * MINUTE);
});
