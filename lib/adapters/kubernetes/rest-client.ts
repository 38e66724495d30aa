/**
 * The dozen apiserver calls the adapter makes, as JSON over node:https (or node:http behind kubectl proxy).
 *
 * Why not client-node's generated API classes: importing them drags in the registry of every model and
 * undici, about 2 MB of bundle and most of a cold tick's import time, for calls this small. And their
 * model round-trip drops any field the models do not know, so a read-modify-replace could strip fields
 * newer than the client; here an object goes back to the apiserver exactly as it was read.
 *
 * Failures are client-node's ApiException (status code, body text), so errors.ts translates every
 * failure the same way; network failures and timeouts stay plain errors ("no answer", never a status).
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import type { CoreV1Event, V1Deployment, V1Ingress, V1Pod, V1ReplicaSet, V1Service } from '@kubernetes/client-node';
import { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';

/** Where one cluster's apiserver is and how each request authenticates (a fresh EKS token, a cached exec token...). */
export interface ApiConnection {
  server: string;
  timeoutMs: number;
  /** TLS material (ca, cert, key, rejectUnauthorized) and headers for one request. */
  requestOptions(): Promise<RequestOptions>;
}

export type PatchType = 'merge' | 'strategic';
const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

/**
 * One keep-alive pool per process: a tick makes several calls to the same apiserver. Plain http is for
 * an apiserver reached through `kubectl proxy` (http://127.0.0.1:8001).
 */
const transports = {
  'https:': { request: httpsRequest, agent: new HttpsAgent({ keepAlive: true, maxSockets: 16 }) },
  'http:': { request: httpRequest, agent: new HttpAgent({ keepAlive: true, maxSockets: 16 }) },
};

interface Call { method: string; path: string; query?: Record<string, string | undefined>; body?: unknown; contentType?: string }

export async function apiRequest<T>(conn: ApiConnection, call: Call): Promise<T> {
  try {
    return await send<T>(conn, call);
  } catch (err) {
    // A frozen Lambda cannot see the apiserver (or its load balancer) close an idle pooled connection;
    // the next request on it is reset before any answer. The request never arrived, so send it again once
    // on a fresh connection (Node's documented pattern for keep-alive agents).
    if (!(err instanceof StaleSocketError)) throw err;
    return send<T>(conn, call);
  }
}

class StaleSocketError extends Error {}

async function send<T>(conn: ApiConnection, { method, path, query, body, contentType }: Call): Promise<T> {
  const url = new URL(path, conn.server);
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, value);
  const transport = url.protocol === 'http:' || url.protocol === 'https:' ? transports[url.protocol] : undefined;
  if (!transport) throw new Error(`apiserver URL ${conn.server} is neither https nor http`);
  const options = await conn.requestOptions();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string | number> = {
    ...(options.headers as Record<string, string> | undefined), accept: 'application/json',
    ...(payload === undefined ? {} : { 'content-type': contentType ?? 'application/json', 'content-length': Buffer.byteLength(payload) }),
  };
  return new Promise<T>((resolve, reject) => {
    const req = transport.request(url, { ...options, agent: options.agent ?? transport.agent, method, headers, signal: AbortSignal.timeout(conn.timeoutMs) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          reject(new ApiException(status, `${method} ${url.pathname} answered ${status}`, text, res.headers as Record<string, string>));
          return;
        }
        try {
          resolve((text ? JSON.parse(text) : undefined) as T);
        } catch (err) {
          reject(new Error(`${method} ${url.pathname}: the apiserver's answer is not JSON`, { cause: err }));
        }
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const stale = req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
      reject(stale ? new StaleSocketError(`${method} ${url.pathname}: pooled connection was closed`, { cause: err }) : err);
    });
    req.end(payload);
  });
}

/**
 * Every write names the engine as its field manager, so `metadata.managedFields` tells the engine's writes
 * from anyone else's (observe reports who last set the target's image: a promotion fight names the other).
 */
export const FIELD_MANAGER = 'codedance';
const managed = { fieldManager: FIELD_MANAGER };

const ns = (namespace: string) => `/namespaces/${encodeURIComponent(namespace)}`;
const named = (name: string) => `/${encodeURIComponent(name)}`;

interface ObjectParams { namespace: string; name: string }
interface CustomParams extends ObjectParams { group: string; version: string; plural: string }
/**
 * `uid`: delete only the object with this uid (a DeleteOptions precondition), so an object someone else
 * created under the same name after we read it is never deleted; a mismatch answers 409.
 */
interface DeleteParams extends ObjectParams { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; uid?: string }

function deleteOptions({ propagationPolicy, uid }: DeleteParams): object | undefined {
  if (!propagationPolicy && !uid) return undefined;
  return { kind: 'DeleteOptions', apiVersion: 'v1', ...(propagationPolicy ? { propagationPolicy } : {}), ...(uid ? { preconditions: { uid } } : {}) };
}

/** Get / create / replace / patch / delete of one namespaced kind under `base` (e.g. /apis/apps/v1, deployments). */
function namespacedKind<T>(conn: ApiConnection, base: string, plural: string) {
  const item = ({ namespace, name }: ObjectParams) => `${base}${ns(namespace)}/${plural}${named(name)}`;
  return {
    read: (p: ObjectParams) => apiRequest<T>(conn, { method: 'GET', path: item(p) }),
    create: (p: { namespace: string; body: T }) => apiRequest<T>(conn, { method: 'POST', path: `${base}${ns(p.namespace)}/${plural}`, query: managed, body: p.body }),
    replace: (p: ObjectParams & { body: T }) => apiRequest<T>(conn, { method: 'PUT', path: item(p), query: managed, body: p.body }),
    patch: (p: ObjectParams & { body: unknown; patchType: PatchType }) =>
      apiRequest<T>(conn, { method: 'PATCH', path: item(p), query: managed, body: p.body, contentType: PATCH_CONTENT_TYPE[p.patchType] }),
    delete: (p: DeleteParams) => {
      const body = deleteOptions(p);
      return apiRequest<unknown>(conn, { method: 'DELETE', path: item(p), ...(body ? { body } : {}) });
    },
    list: (p: { namespace: string; labelSelector?: string }) =>
      apiRequest<{ items: T[] }>(conn, { method: 'GET', path: `${base}${ns(p.namespace)}/${plural}`, query: { labelSelector: p.labelSelector } }),
  };
}

/** Typed clients bound to one cluster; `cluster` names it in every error message. */
export interface KubeClients {
  cluster: string;
  deployments: ReturnType<typeof namespacedKind<V1Deployment>>;
  services: ReturnType<typeof namespacedKind<V1Service>>;
  pods: ReturnType<typeof namespacedKind<V1Pod>>;
  /** Read only (list): which ReplicaSet is the target's current revision, for its pod-template-hash. */
  replicasets: Pick<ReturnType<typeof namespacedKind<V1ReplicaSet>>, 'list'>;
  ingresses: ReturnType<typeof namespacedKind<V1Ingress>>;
  /** Create only: Events on the CanaryDeployment objects (`kubectl describe` shows them). */
  events: Pick<ReturnType<typeof namespacedKind<CoreV1Event>>, 'create'>;
  /** Custom resources (Istio, Gateway API, CanaryDeployment) as plain JSON. */
  custom: {
    read<T = unknown>(p: CustomParams): Promise<T>;
    /** One LIST of a namespace, or of every namespace when `namespace` is undefined. */
    list<T = unknown>(p: Omit<CustomParams, 'name' | 'namespace'> & { namespace?: string }): Promise<{ items: T[] }>;
    create<T = unknown>(p: Omit<CustomParams, 'name'> & { body: T }): Promise<T>;
    replace<T = unknown>(p: CustomParams & { body: T }): Promise<T>;
    /** A merge patch of the status subresource. */
    patchStatus(p: CustomParams & { body: unknown }): Promise<unknown>;
  };
}

export function createKubeClients(cluster: string, conn: ApiConnection): KubeClients {
  const collection = ({ group, version, namespace, plural }: Omit<CustomParams, 'name'>) => `/apis/${group}/${version}${ns(namespace)}/${plural}`;
  return {
    cluster,
    deployments: namespacedKind<V1Deployment>(conn, '/apis/apps/v1', 'deployments'),
    services: namespacedKind<V1Service>(conn, '/api/v1', 'services'),
    pods: namespacedKind<V1Pod>(conn, '/api/v1', 'pods'),
    replicasets: { list: namespacedKind<V1ReplicaSet>(conn, '/apis/apps/v1', 'replicasets').list },
    ingresses: namespacedKind<V1Ingress>(conn, '/apis/networking.k8s.io/v1', 'ingresses'),
    events: { create: namespacedKind<CoreV1Event>(conn, '/api/v1', 'events').create },
    custom: {
      read: (p) => apiRequest(conn, { method: 'GET', path: `${collection(p)}${named(p.name)}` }),
      list: ({ group, version, plural, namespace }) =>
        apiRequest(conn, { method: 'GET', path: `/apis/${group}/${version}${namespace === undefined ? '' : ns(namespace)}/${plural}` }),
      create: (p) => apiRequest(conn, { method: 'POST', path: collection(p), query: managed, body: p.body }),
      replace: (p) => apiRequest(conn, { method: 'PUT', path: `${collection(p)}${named(p.name)}`, query: managed, body: p.body }),
      patchStatus: (p) => apiRequest(conn, { method: 'PATCH', path: `${collection(p)}${named(p.name)}/status`, query: managed, body: p.body, contentType: PATCH_CONTENT_TYPE.merge }),
    },
  };
}
