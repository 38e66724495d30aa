import { syncAdmitted, type Admitted, type SyncReport } from '../../lib/app/sync-objects.js';
import { admittedFrom, allowed, objectRef, parseAdmissionReview, refused, webhookSecretMatches, withinBudget } from '../../lib/http/admission-review.js';
import { parseBody } from '../../lib/http/parse-body.js';
import { json } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { log } from '../../lib/log.js';
import { clusterWebhook, getDependencies } from '../wiring.js';

/** Under the webhook's timeoutSeconds (5 s, infra/k8s/webhook.yaml), leaving room for the round trip. */
export const SYNC_BUDGET_MS = 3000;

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * POST /admission/{cluster}/{secret}: the apiserver's AdmissionReview for a CanaryDeployment CREATE, UPDATE
 * or DELETE; the per-cluster secret in the path is the credential. An authenticated review is always
 * allowed: the push only syncs that one object now, and whatever goes wrong (or takes longer than the
 * budget) is logged and left to the scheduled sync. Dry runs cause nothing (sideEffects: NoneOnDryRun).
 */
export const handler = route({ role: 'public', tokens: async () => [] }, async (event) => {
  const cluster = event.pathParameters?.cluster ?? '';
  const webhook = await clusterWebhook(cluster);
  if (!webhookSecretMatches(event.pathParameters?.secret ?? '', webhook?.secret)) return refused();
  const review = parseAdmissionReview(parseBody(event));
  const answer = json(200, allowed(review.request.uid));
  const { operation, namespace, name, dryRun } = review.request;
  log.info('admission review', { cluster, operation, namespace, name, dryRun: dryRun ?? false });
  if (dryRun) return answer;
  let admitted: Admitted | undefined;
  try {
    admitted = admittedFrom(review, cluster);
  } catch (error) {
    log.warn('admission review not usable; allowed, the scheduled sync will read the object', { cluster, namespace, name, error: message(error) });
    return answer;
  }
  const where = admitted && objectRef(admitted);
  // A cluster entry that names namespaces limits the push like the scheduled sync: others are not the engine's.
  if (!admitted || !where || (webhook?.namespaces && !webhook.namespaces.includes(where.namespace))) return answer;
  const sync = (async (): Promise<SyncReport> => {
    const deps = getDependencies();
    if (!deps.canaryObjects) throw new Error('CanaryDeployment objects are not wired (no cluster registry)');
    return syncAdmitted(deps, deps.canaryObjects(cluster), admitted);
  })();
  try {
    const outcome = await withinBudget(sync, SYNC_BUDGET_MS);
    if (outcome.done) log.info('admission sync', { ...where, started: outcome.value.started, ended: outcome.value.ended, invalid: outcome.value.invalid, waiting: outcome.value.waiting });
    else {
      log.warn('admission sync still running after its budget; allowed, the scheduled sync is the net', { ...where, budgetMs: SYNC_BUDGET_MS });
      sync.catch((error: unknown) => log.error('admission sync failed after its budget', { ...where, error: message(error) }));
    }
  } catch (error) {
    log.error('admission sync failed; allowed, the scheduled sync will retry', { ...where, error: message(error) });
  }
  return answer;
});
