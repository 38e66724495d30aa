/**
 * The kubelet's periodic pod sync, which kwok does not have. A kubelet looks at every pod it runs about
 * once a minute whatever happens; kwok only reacts to watch events, and when a stage's status patch fails
 * with an error it does not count as retryable (kwok v0.8 `PodController.playStage` → `shouldRetry`: only
 * refused connections, timeouts, 503 and 429 are), it logs the error and drops the job. The pod then stays
 * Pending, bound to a node, until something else touches it, which nothing does. Here a bound pod still
 * Pending after STUCK_AFTER_MS gets an annotation bump: a new watch event, so kwok matches its stages again.
 */
import { call, type ApiTarget } from './api.js';

const PERIOD_MS = 5_000;
const STUCK_AFTER_MS = 10_000;
export const RESYNC_ANNOTATION = 'codedance.io/kwok-resync';

interface PodSummary {
  metadata: { name: string; namespace: string; creationTimestamp?: string; deletionTimestamp?: string };
  spec?: { nodeName?: string };
}

export interface PodResync { stop(): void }

export function startPodResync(target: ApiTarget, say: (line: string) => void): PodResync {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    resyncStuckPods(target, say).catch(() => undefined).finally(() => { busy = false; });
  }, PERIOD_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** One pass; exported for tests. Errors (the cluster may be going down) are the caller's to ignore. */
export async function resyncStuckPods(target: ApiTarget, say: (line: string) => void, now = Date.now()): Promise<number> {
  const selector = encodeURIComponent('status.phase=Pending,spec.nodeName!=');
  const res = await call(target, 'GET', `/api/v1/pods?fieldSelector=${selector}`);
  if (res.status !== 200) return 0;
  const stuck = (JSON.parse(res.body) as { items?: PodSummary[] }).items?.filter((p) =>
    !p.metadata.deletionTimestamp && now - Date.parse(p.metadata.creationTimestamp ?? '') > STUCK_AFTER_MS) ?? [];
  for (const pod of stuck) {
    const { namespace, name } = pod.metadata;
    const patch = { metadata: { annotations: { [RESYNC_ANNOTATION]: new Date(now).toISOString() } } };
    const out = await call(target, 'PATCH', `/api/v1/namespaces/${namespace}/pods/${name}`, patch, 'application/merge-patch+json');
    if (out.status === 200) say(`pod ${namespace}/${name} on ${pod.spec?.nodeName} still Pending after ${Math.round((now - Date.parse(pod.metadata.creationTimestamp!)) / 1000)}s: re-synced it for kwok`);
  }
  return stuck.length;
}
