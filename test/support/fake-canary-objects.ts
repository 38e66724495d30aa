import { randomUUID } from 'node:crypto';
import type { CanaryObject, CanaryObjects, ObjectStatus } from '../../lib/ports/canary-objects.js';
import { CREATED_BY_ENGINE, CREATED_BY_LABEL, ROLLOUT_ID_ANNOTATION } from '../../lib/ports/canary-objects.js';

/**
 * The CanaryDeployment objects of one cluster, in memory, behaving as the apiserver does: a new object gets
 * a uid and generation 1, a spec change bumps the generation, a status write never does, a delete removes
 * it. `failList` makes LIST fail as an unreachable or forbidden apiserver would.
 */
export class FakeCanaryObjects implements CanaryObjects {
  readonly objects = new Map<string, CanaryObject>();
  readonly statuses = new Map<string, ObjectStatus>();
  readonly events: Array<{ namespace: string; name: string; reason: string; message: string }> = [];
  failList?: Error;
  lists = 0;

  constructor(readonly cluster: string) {}

  /** kubectl apply: creates, or bumps the generation when the spec changed. */
  apply(document: { metadata: { name: string; namespace?: string }; spec: unknown } & Record<string, unknown>, labels: Record<string, string> = {}): CanaryObject {
    const namespace = document.metadata.namespace ?? 'default';
    const key = `${namespace}/${document.metadata.name}`;
    const before = this.objects.get(key);
    const changed = !before || JSON.stringify((before.document as { spec?: unknown }).spec) !== JSON.stringify(document.spec);
    const object: CanaryObject = {
      cluster: this.cluster, namespace, name: document.metadata.name, uid: before?.uid ?? randomUUID(),
      generation: (before?.generation ?? 0) + (changed ? 1 : 0), labels, annotations: {}, document, deleting: false,
      ...(this.statuses.get(key) ? { status: this.statuses.get(key) } : {}),
    };
    this.objects.set(key, object);
    return object;
  }

  remove(namespace: string, name: string): void { this.objects.delete(`${namespace}/${name}`); }

  async list(namespaces?: string[]): Promise<CanaryObject[]> {
    this.lists++;
    if (this.failList) throw this.failList;
    return [...this.objects.values()].filter((o) => !namespaces || namespaces.includes(o.namespace)).map((o) => this.withStatus(o));
  }

  async get(namespace: string, name: string): Promise<CanaryObject | undefined> {
    const o = this.objects.get(`${namespace}/${name}`);
    return o && this.withStatus(o);
  }

  async create(document: unknown, rolloutId: string): Promise<void> {
    const doc = document as { metadata: { name: string; namespace?: string }; spec: unknown };
    if (this.objects.has(`${doc.metadata.namespace ?? 'default'}/${doc.metadata.name}`)) return;
    const created = this.apply(doc, { [CREATED_BY_LABEL]: CREATED_BY_ENGINE });
    created.annotations[ROLLOUT_ID_ANNOTATION] = rolloutId;
  }

  async writeStatus(namespace: string, name: string, status: ObjectStatus): Promise<void> {
    if (this.objects.has(`${namespace}/${name}`)) this.statuses.set(`${namespace}/${name}`, status);
  }

  async recordEvent(namespace: string, name: string, _uid: string, event: { type: 'Normal' | 'Warning'; reason: string; message: string }): Promise<void> {
    this.events.push({ namespace, name, reason: event.reason, message: event.message });
  }

  private withStatus(o: CanaryObject): CanaryObject {
    const status = this.statuses.get(`${o.namespace}/${o.name}`);
    return status ? { ...o, status } : o;
  }
}
