/**
 * The launcher's few calls to the apiserver, over node:https with a bearer token: readiness probes and
 * applying our own manifests. (The engine and the tests use @kubernetes/client-node; the launcher stays
 * dependency-light so it can also run before anything else is installed or built.)
 */
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

export interface ApiTarget {
  server: string; // https://127.0.0.1:port
  caData?: string; // PEM; absent while the serving cert is not known yet
  token?: string;
}

export interface ApiResponse {
  status: number;
  body: string;
}

export function call(target: ApiTarget, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiResponse> {
  const url = new URL(path, target.server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method,
      ca: target.caData,
      // Before the CA is read (probing /readyz right after start) there is nothing to verify against yet.
      rejectUnauthorized: target.caData !== undefined,
      headers: {
        accept: 'application/json',
        ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
        ...(payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
      },
      timeout: 10_000,
    }, (res) => {
      let data = '';
      res.setEncoding('utf8').on('data', (d: string) => { data += d; }).on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.href} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Just what the launcher needs to route an object; the rest is passed through untouched. */
export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; [k: string]: unknown };

/**
 * Parses a multi-document YAML file. Merge keys (`<<: *anchor`) are enabled because the CRD files reuse one
 * version block for several served versions, as kubectl's YAML reader also allows.
 */
export function readManifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, 'utf8'), { merge: true })
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null && typeof m === 'object' && typeof m.kind === 'string');
}

/**
 * REST path of an object's collection. Plural = lowercase kind + "s", which holds for every kind the
 * launcher applies (CustomResourceDefinition, ClusterRole, ClusterRoleBinding, Node, Namespace).
 */
export function collectionPath(m: Manifest): string {
  const base = m.apiVersion.includes('/') ? `/apis/${m.apiVersion}` : `/api/${m.apiVersion}`;
  const ns = m.metadata.namespace ? `/namespaces/${m.metadata.namespace}` : '';
  return `${base}${ns}/${m.kind.toLowerCase()}s`;
}

/** Creates each object; "already exists" (409) counts as applied so a restart over the same etcd works. */
export async function applyManifests(target: ApiTarget, manifests: Manifest[]): Promise<void> {
  for (const m of manifests) {
    const res = await call(target, 'POST', collectionPath(m), m);
    if (res.status !== 201 && res.status !== 409) {
      throw new Error(`create ${m.kind}/${m.metadata.name}: HTTP ${res.status} ${res.body.slice(0, 500)}`);
    }
  }
}

export async function getJson(target: ApiTarget, path: string): Promise<unknown> {
  const res = await call(target, 'GET', path);
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  return JSON.parse(res.body) as unknown;
}

type WithConditions = { status?: { conditions?: Array<{ type?: string; status?: string }> } };

export function hasCondition(obj: unknown, type: string): boolean {
  const conditions = (obj as WithConditions | null)?.status?.conditions ?? [];
  return conditions.some((c) => c.type === type && c.status === 'True');
}
