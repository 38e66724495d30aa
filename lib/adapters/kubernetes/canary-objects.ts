/**
 * The CanaryDeployment objects of one cluster (the port in lib/ports/canary-objects.ts): one LIST per
 * sync pass, the object's status (merge patch of /status) and Events. The spec is read, never written;
 * an object is created only for a rollout started elsewhere (HTTP, CLI, release), labelled as the engine's.
 *
 * `mirror(state)` is the StatusMirror of a running rollout: one GET (the conditions there now keep their
 * transition times, and tell whether this rollout still owns the object) and at most one PATCH, skipped
 * when nothing but the time would change.
 */
import type { CoreV1Event } from '@kubernetes/client-node';
import { z } from 'zod';
import { kubernetesTime, objectStatus, type ObjectStatus } from '../../domain/object-status.js';
import type { RolloutState } from '../../domain/state.js';
import {
  CREATED_BY_ENGINE, CREATED_BY_LABEL, ROLLOUT_ID_ANNOTATION, type CanaryObject, type CanaryObjects,
} from '../../ports/canary-objects.js';
import type { StatusMirror } from '../../ports/status-mirror.js';
import { log } from '../../log.js';
import type { KubeClients } from './client.js';
import { API_VERSION, canaryObjectOf, GROUP, KIND, stringMap, VERSION } from './canary-object.js';
import { call, callOptional, isAbsent, KubernetesApiError, type ObjectRef } from './errors.js';

const PLURAL = 'canarydeployments';
/** Kubernetes' events.k8s.io caps a note at 1 kB; keep core/v1 Events as short. */
const MAX_EVENT_MESSAGE = 1024;

const metadataSchema = z.object({
  name: z.string().min(1),
  namespace: z.string().min(1),
  uid: z.string().min(1),
  generation: z.number().int().min(0),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  deletionTimestamp: z.string().optional(),
});
const itemSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: metadataSchema,
  spec: z.unknown().optional(),
  status: z.unknown().optional(),
});
/** What create() accepts: a CanaryDeployment document as the engine stores it. */
const documentSchema = z.object({
  metadata: z.object({ name: z.string().min(1), namespace: z.string().min(1).optional(), labels: stringMap.optional(), annotations: stringMap.optional() }),
  spec: z.unknown(),
});

type Item = z.infer<typeof itemSchema>;

const ref = (namespace: string, name: string): ObjectRef => ({ kind: KIND, resource: `${PLURAL}.${GROUP}`, namespace, name });
const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** One listed or read item as the port's CanaryObject; undefined (logged) when its metadata is unusable. */
function toObject(cluster: string, raw: unknown): CanaryObject | undefined {
  const parsed = itemSchema.safeParse(raw);
  if (parsed.success) return canaryObjectOf(cluster, parsed.data);
  const meta = (raw as { metadata?: { namespace?: unknown; name?: unknown } } | null)?.metadata;
  log.warn('CanaryDeployment skipped: its metadata is not what the apiserver sends', { cluster, object: `${String(meta?.namespace)}/${String(meta?.name)}`, error: parsed.error.message });
  return undefined;
}

/**
 * The status as written: a merge patch replaces what it names, so every field the new status leaves out is
 * sent as null (a stale health score, the rollout id of an earlier rollout); `conditions` replaces the list.
 */
function statusBody(status: ObjectStatus, now: Date): Record<string, unknown> {
  return {
    observedGeneration: status.observedGeneration ?? null,
    phase: status.phase,
    weight: status.weight,
    step: status.step,
    health: status.health ?? null,
    message: status.message,
    rolloutId: status.rolloutId ?? null,
    conditions: status.conditions,
    observedAt: kubernetesTime(now),
  };
}

/** Key-order-independent JSON without nulls and the write time: equal texts mean nothing to write. */
function canonical(value: unknown): string {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(Object.entries(v).filter(([k, x]) => x !== null && x !== undefined && k !== 'observedAt').sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, strip(x)]));
  };
  return JSON.stringify(strip(value));
}

/**
 * Whether a rollout's progress belongs in this object. A rollout from an object writes only into that
 * object (same uid) until a newer generation's rollout has written there; a rollout started elsewhere writes
 * into the object made for it, or into a same-named object no rollout from an object has taken over.
 */
function mirrorsInto(object: CanaryObject, state: RolloutState): boolean {
  const observed = object.status?.observedGeneration;
  if (state.source) return object.uid === state.source.uid && (observed === undefined || observed <= state.source.generation);
  const createdFor = object.annotations[ROLLOUT_ID_ANNOTATION];
  if (object.labels[CREATED_BY_LABEL] === CREATED_BY_ENGINE || createdFor !== undefined) return createdFor === state.id;
  return observed === undefined || object.status?.rolloutId === state.id;
}

async function listObjects(kube: KubeClients, namespace: string | undefined): Promise<unknown[]> {
  const where = ref(namespace ?? '(all namespaces)', '(list)');
  const list = await call(kube.cluster, 'list', where, () => kube.custom.list({ group: GROUP, version: VERSION, plural: PLURAL, ...(namespace === undefined ? {} : { namespace }) }));
  return list.items ?? [];
}

function readObject(kube: KubeClients, namespace: string, name: string): Promise<Item | undefined> {
  return callOptional(kube.cluster, 'get', ref(namespace, name), () => kube.custom.read<Item>({ group: GROUP, version: VERSION, plural: PLURAL, namespace, name }));
}

async function createObject(kube: KubeClients, namespace: string, name: string, body: unknown): Promise<void> {
  try {
    await call(kube.cluster, 'create', ref(namespace, name), () => kube.custom.create({ group: GROUP, version: VERSION, plural: PLURAL, namespace, body }));
  } catch (err) {
    // AlreadyExists: created by an earlier attempt (or someone applied it first); either way it is there.
    if (!(err instanceof KubernetesApiError && err.failure === 'Conflict')) throw err;
  }
}

async function patchObjectStatus(kube: KubeClients, namespace: string, name: string, status: Record<string, unknown>): Promise<void> {
  try {
    await call(kube.cluster, 'patch', ref(namespace, name), () => kube.custom.patchStatus({ group: GROUP, version: VERSION, plural: PLURAL, namespace, name, body: { status } }));
  } catch (err) {
    if (!isAbsent(err)) throw err; // no such object (or no CRD): nothing to write
  }
}

async function createEvent(kube: KubeClients, namespace: string, body: CoreV1Event): Promise<void> {
  await kube.events.create({ namespace, body });
}

export class KubernetesCanaryObjects implements CanaryObjects, StatusMirror {
  constructor(
    private readonly cluster: string,
    private readonly clients: () => Promise<KubeClients>,
    private readonly now: () => Date = () => new Date(),
    /** The cluster entry's `namespaces`: what a list without namespaces covers (all when absent). */
    private readonly namespaces?: string[],
  ) {}

  async list(namespaces: string[] | undefined = this.namespaces): Promise<CanaryObject[]> {
    const kube = await this.clients();
    const scopes = namespaces === undefined ? [undefined] : [...new Set(namespaces)];
    const items = (await Promise.all(scopes.map((namespace) => listObjects(kube, namespace)))).flat();
    return items.flatMap((item) => toObject(this.cluster, item) ?? []);
  }

  async get(namespace: string, name: string): Promise<CanaryObject | undefined> {
    const item = await readObject(await this.clients(), namespace, name);
    return item === undefined ? undefined : toObject(this.cluster, item);
  }

  async create(document: unknown, rolloutId: string): Promise<void> {
    const { metadata, spec } = documentSchema.parse(document);
    const namespace = metadata.namespace ?? 'default';
    const body = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: {
        name: metadata.name,
        namespace,
        labels: { ...metadata.labels, [CREATED_BY_LABEL]: CREATED_BY_ENGINE },
        annotations: { ...metadata.annotations, [ROLLOUT_ID_ANNOTATION]: rolloutId },
      },
      spec,
    };
    await createObject(await this.clients(), namespace, metadata.name, body);
  }

  async writeStatus(namespace: string, name: string, status: ObjectStatus): Promise<void> {
    await patchObjectStatus(await this.clients(), namespace, name, statusBody(status, this.now()));
  }

  async recordEvent(namespace: string, name: string, uid: string, event: { type: 'Normal' | 'Warning'; reason: string; message: string }): Promise<void> {
    const time = new Date(kubernetesTime(this.now()));
    const body: CoreV1Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${name}.`, namespace },
      involvedObject: { apiVersion: API_VERSION, kind: KIND, name, namespace, uid },
      reason: event.reason,
      message: clip(event.message, MAX_EVENT_MESSAGE),
      type: event.type,
      source: { component: 'codedance' },
      firstTimestamp: time, // a Date goes over the wire as RFC 3339 text (JSON.stringify)
      lastTimestamp: time,
      count: 1,
    };
    try {
      await createEvent(await this.clients(), namespace, body);
    } catch (err) {
      // Best effort: the status already says it; an Event that cannot be written is only logged.
      log.warn('could not record a Kubernetes Event', { cluster: this.cluster, object: `${namespace}/${name}`, reason: event.reason, error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** A running rollout's progress into its object's status: one GET, then a PATCH only when it changed. */
  async mirror(state: RolloutState): Promise<void> {
    const namespace = state.source?.namespace ?? state.spec.namespace;
    const name = state.source?.name ?? state.spec.name;
    const kube = await this.clients();
    const item = await readObject(kube, namespace, name);
    const object = item === undefined ? undefined : toObject(this.cluster, item);
    if (!object || !mirrorsInto(object, state)) return;
    const computed = objectStatus(state, object.status?.conditions, this.now());
    // An object the engine created for this rollout: its generation is the one this rollout runs.
    const status = computed.observedGeneration === undefined && object.annotations[ROLLOUT_ID_ANNOTATION] === state.id
      ? { ...computed, observedGeneration: object.generation, conditions: computed.conditions.map((c) => ({ ...c, observedGeneration: object.generation })) }
      : computed;
    const body = statusBody(status, this.now());
    if (canonical(body) === canonical(item?.status ?? {})) return;
    await patchObjectStatus(kube, namespace, name, body);
  }
}
