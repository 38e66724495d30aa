/**
 * The admission webhook's edge (POST /admission/{cluster}/{secret}): the AdmissionReview v1 the apiserver
 * sends, the path secret that authenticates it, and the object it carries as the engine's CanaryObject.
 *
 * The webhook never blocks the apiserver: every authenticated review is answered `allowed: true`, and what
 * the engine makes of the object (a rollout started, ended, or nothing) happens beside that answer.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Admitted } from '../app/sync-objects.js';
import { issuesToDetails } from '../domain/validation.js';
import { canaryObjectOf, GROUP, KIND, stringMap } from '../adapters/kubernetes/canary-object.js';
import type { CanaryObject } from '../ports/canary-objects.js';
import { HttpError, json, type HttpResult } from './responses.js';

const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

/** Only what the engine reads; the apiserver sends more (userInfo, options, requestKind ...), which is ignored. */
export const admissionReviewSchema = z.object({
  apiVersion: z.literal(ADMISSION_API_VERSION),
  kind: z.literal('AdmissionReview'),
  request: z.object({
    uid: z.string().min(1),
    kind: z.object({ group: z.string(), version: z.string(), kind: z.string() }),
    operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
    namespace: z.string().optional(),
    name: z.string().optional(),
    dryRun: z.boolean().optional(),
    object: z.unknown().optional(),
    oldObject: z.unknown().optional(),
  }),
});
export type AdmissionReview = z.infer<typeof admissionReviewSchema>;

/** A malformed review is a 400 naming every wrong field (the apiserver then fails open: failurePolicy Ignore). */
export function parseAdmissionReview(body: unknown): AdmissionReview {
  const parsed = admissionReviewSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const details = issuesToDetails(parsed.error.issues);
  throw new HttpError(400, 'ValidationFailed', 'The body is not an AdmissionReview v1', details.length ? details : [{ path: '(body)', message: 'is not an AdmissionReview v1' }]);
}

/** The only answer an authenticated review ever gets. */
export const allowed = (uid: string) => ({ apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response: { uid, allowed: true } });

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * The path secret against the cluster's configured one, in constant time over fixed-length digests (so
 * neither timing nor length tells how much was right). An unknown cluster, or one without a webhook secret,
 * never matches.
 */
export function webhookSecretMatches(presented: string, configured: string | undefined): boolean {
  return timingSafeEqual(digest(presented), digest(configured ?? '')) && Boolean(configured);
}

const REFUSAL = 'The webhook secret is not valid for this cluster';
/**
 * The one answer to a wrong secret, unknown cluster or cluster without a secret alike (it does not reveal
 * which cluster names exist): the API's error body, plus the fields of a Kubernetes Status, so the
 * apiserver's "failing open" log line says why instead of "unknown".
 */
export const refused = (): HttpResult => json(403, {
  error: { code: 'Forbidden', message: REFUSAL, details: [{ path: 'secret', message: 'does not match' }] },
  apiVersion: 'v1', kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message: `codedance: ${REFUSAL}`,
});

const objectSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.literal(KIND),
  metadata: z.object({
    name: z.string().min(1),
    namespace: z.string().min(1).optional(),
    // Validating webhooks run after the apiserver set these (a new custom object has generation 1).
    uid: z.string().min(1),
    generation: z.number().int().min(1),
    labels: stringMap.optional(),
    annotations: stringMap.optional(),
    deletionTimestamp: z.string().optional(),
  }),
  spec: z.unknown().optional(),
  status: z.unknown().optional(),
});
/** Thrown for a review the engine cannot use (logged by the handler, still answered allowed). */
export class UnusableReviewError extends Error {
  override readonly name = 'UnusableReviewError';
}

/**
 * What a review asks the sync to do: CREATE/UPDATE carry the object as it will be stored, DELETE the old
 * one (only its identity matters). Undefined for anything else (another kind, CONNECT).
 */
export function admittedFrom(review: AdmissionReview, cluster: string): Admitted | undefined {
  const { request } = review;
  if (request.kind.group !== GROUP || request.kind.kind !== KIND) return undefined;
  if (request.operation === 'DELETE') {
    const old = objectSchema.safeParse(request.oldObject);
    if (!old.success) throw new UnusableReviewError(`oldObject is not a CanaryDeployment: ${old.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const { name, namespace, uid } = old.data.metadata;
    return { deleted: { cluster, namespace: namespace ?? request.namespace ?? 'default', name, uid } };
  }
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return undefined;
  return { object: canaryObjectFrom(request.object, cluster, request.namespace) };
}

function canaryObjectFrom(raw: unknown, cluster: string, requestNamespace: string | undefined): CanaryObject {
  const parsed = objectSchema.safeParse(raw);
  if (!parsed.success) throw new UnusableReviewError(`object is not a CanaryDeployment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const namespace = parsed.data.metadata.namespace ?? requestNamespace ?? 'default';
  return canaryObjectOf(cluster, { ...parsed.data, metadata: { ...parsed.data.metadata, namespace } });
}

/** Where the object lives, for logs (never the secret). */
export function objectRef(admitted: Admitted): { cluster: string; namespace: string; name: string; uid: string } {
  const o = 'object' in admitted ? admitted.object : admitted.deleted;
  return { cluster: o.cluster, namespace: o.namespace, name: o.name, uid: o.uid };
}

/**
 * The work's outcome if it settles within `ms`, else `{ done: false }` (the work goes on, unawaited: on
 * Lambda it may be frozen with the container, which is why the scheduled sync exists). Rejects as it does.
 */
export async function withinBudget<T>(work: Promise<T>, ms: number): Promise<{ done: true; value: T } | { done: false }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ done: false }>((resolve) => { timer = setTimeout(() => resolve({ done: false }), ms); });
  try {
    return await Promise.race([work.then((value) => ({ done: true as const, value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
