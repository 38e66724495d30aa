/**
 * Translation of apiserver failures into one typed error. The reconcile loop only needs to know whether
 * retrying can help (`permanent`), and a person reading the rollout's message needs the object and the fix.
 */
import { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
import { z } from 'zod';
import { DependencyError } from '../../app/errors.js';

/** `Foreign`: an object named like the engine's own that the engine did not create (never adopted). */
export type KubernetesFailure =
  | 'NotFound' | 'CrdMissing' | 'Forbidden' | 'Unauthorized' | 'Invalid' | 'Foreign' | 'Conflict' | 'Unavailable';

/** The object a call is about, so every message can name it and say how to fix it. */
export interface ObjectRef {
  kind: string;
  /** plural.group as RBAC spells it, e.g. virtualservices.networking.istio.io; `deployments.apps`. */
  resource: string;
  namespace: string;
  name: string;
  /** Appended to "not found": what to create or which spec field to set. */
  fix?: string;
}

/** Missing object, missing CRD, forbidden, rejected → permanent; unreachable, timeout, 5xx, conflict → transient. */
export class KubernetesApiError extends DependencyError {
  constructor(readonly cluster: string, readonly failure: KubernetesFailure, message: string, readonly permanent: boolean, options?: ErrorOptions) {
    super(`kubernetes cluster "${cluster}"`, message, !permanent, options);
  }
}

const statusSchema = z.object({
  message: z.string().optional(),
  reason: z.string().optional(),
  details: z.object({ name: z.string().optional(), kind: z.string().optional() }).optional(),
});

export const statusCode = (err: unknown): number | undefined => (err instanceof ApiException ? err.code : undefined);
export const isNotFound = (err: unknown): boolean => statusCode(err) === 404 || (err instanceof KubernetesApiError && err.failure === 'NotFound');
export const isConflict = (err: unknown): boolean => statusCode(err) === 409;
/** The object or its whole API is missing: nothing can route through it. */
export const isAbsent = (err: unknown): boolean => err instanceof KubernetesApiError && (err.failure === 'NotFound' || err.failure === 'CrdMissing');

/** client-node hands over a Status it has no model for (a 404, a 409) as its raw JSON text. */
function parseBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    return undefined; // "404 page not found" and other plain text
  }
}

/** Turns any failure of `verb` on `ref` into a KubernetesApiError (already-translated errors pass through). */
export function translate(cluster: string, verb: string, ref: ObjectRef, err: unknown): KubernetesApiError {
  if (err instanceof KubernetesApiError) return err;
  const where = `${ref.kind} ${ref.namespace}/${ref.name}`;
  const code = statusCode(err);
  if (code === undefined) {
    // fetch failures (ECONNREFUSED, DNS, TLS) and our AbortSignal timeout: the apiserver may come back.
    const cause = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    return new KubernetesApiError(cluster, 'Unavailable', `apiserver unreachable while trying to ${verb} ${where}: ${cause}`, false, { cause: err });
  }
  const body = statusSchema.safeParse(err instanceof ApiException ? parseBody(err.body) : undefined);
  const status = body.success ? body.data : {};
  const said = status.message ? ` (apiserver: ${status.message})` : '';
  switch (code) {
    case 404:
      // An object that is missing names itself in details; a group/version nobody serves does not.
      if (status.details?.kind === 'namespaces') {
        return new KubernetesApiError(cluster, 'NotFound', `namespace ${ref.namespace} not found: create it or fix metadata.namespace`, true, { cause: err });
      }
      if (status.details?.name) {
        return new KubernetesApiError(cluster, 'NotFound', `${where} not found: ${ref.fix ?? 'create it'}`, true, { cause: err });
      }
      return new KubernetesApiError(cluster, 'CrdMissing', `${ref.resource} is not served by the apiserver: install the ${ref.kind} CRD or choose another spec.trafficRouting.provider`, true, { cause: err });
    case 403:
      return new KubernetesApiError(cluster, 'Forbidden', `forbidden: the engine's ClusterRole lacks "${verb}" on ${ref.resource} (${where}); add it to infra/k8s/engine-rbac.yaml`, true, { cause: err });
    case 401:
      return new KubernetesApiError(cluster, 'Unauthorized', `unauthorized: the apiserver rejected the engine's credentials while trying to ${verb} ${where}; check the cluster's token or IAM mapping`, true, { cause: err });
    case 409:
      return new KubernetesApiError(cluster, 'Conflict', `${where} kept changing under us; will retry${said}`, false, { cause: err });
    case 400: case 422:
      return new KubernetesApiError(cluster, 'Invalid', `the apiserver rejected the ${verb} of ${where}${said}`, true, { cause: err });
    default:
      return new KubernetesApiError(cluster, 'Unavailable', `apiserver answered ${code} to ${verb} ${where}${said}`, code < 500 && code !== 429, { cause: err });
  }
}

/** One apiserver call with translated errors. */
export async function call<T>(cluster: string, verb: string, ref: ObjectRef, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw translate(cluster, verb, ref, err);
  }
}

/** Like `call`, but a missing object is `undefined` (a missing CRD still throws: that is a setup fault). */
export async function callOptional<T>(cluster: string, verb: string, ref: ObjectRef, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call(cluster, verb, ref, fn);
  } catch (err) {
    if (err instanceof KubernetesApiError && err.failure === 'NotFound') return undefined;
    throw err;
  }
}

/**
 * The read that follows a create answered 409 AlreadyExists. If the object is gone by then (a deletion
 * finished in between), that is no fact about the spec: the next attempt's create will succeed, so it
 * is a transient Conflict, never the permanent NotFound a plain read would report (failing the rollout).
 */
export async function readExisting<T>(cluster: string, ref: ObjectRef, fn: () => Promise<T>): Promise<T> {
  const found = await callOptional(cluster, 'get', ref, fn);
  if (found === undefined) {
    throw new KubernetesApiError(cluster, 'Conflict', `${ref.kind} ${ref.namespace}/${ref.name} already existed when created but was gone when read (being deleted?); will retry`, false);
  }
  return found;
}

/**
 * Read-modify-write with optimistic concurrency: `attempt` reads the object fresh, writes with the
 * resourceVersion it read, and a 409 Conflict means someone wrote in between, so read again (5 tries).
 */
export async function retryOnConflict<T>(cluster: string, ref: ObjectRef, attempt: () => Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      const conflict = isConflict(err) || (err instanceof KubernetesApiError && err.failure === 'Conflict');
      if (!conflict || i >= tries) throw translate(cluster, 'update', ref, err);
    }
  }
}
