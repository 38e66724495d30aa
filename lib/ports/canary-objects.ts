/**
 * The `CanaryDeployment` objects of one cluster: the declarative door into the engine (kubectl apply, Argo
 * CD, Flux). Nothing runs in the cluster; the engine lists them on a schedule and on a webhook push, and
 * writes back only their status (and Events): it never rewrites or deletes an object's spec.
 */
import type { ObjectCondition, ObjectStatus } from '../domain/object-status.js';

/** Label on an object the engine created for a rollout started elsewhere (HTTP, CLI, release). */
export const CREATED_BY_LABEL = 'app.kubernetes.io/created-by';
export const CREATED_BY_ENGINE = 'codedance';
/** Annotation naming the rollout an object stands for (set on objects the engine created). */
export const ROLLOUT_ID_ANNOTATION = 'codedance.io/rollout-id';

export interface CanaryObject {
  cluster: string;
  namespace: string;
  name: string;
  uid: string;
  generation: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The object as a CanaryDeployment document: apiVersion, kind, metadata {name, namespace}, spec. */
  document: unknown;
  /** metadata.deletionTimestamp is set: a finalizer holds it, the rollout must end. */
  deleting: boolean;
  /** What the engine last wrote to its status, if anything (to keep transition times and not repeat Events). */
  status?: { observedGeneration?: number; rolloutId?: string; conditions?: ObjectCondition[] };
}

/** The status the engine writes, in the shape Kubernetes tools read (kubectl wait, Argo CD): the domain's. */
export type { ObjectCondition, ObjectStatus } from '../domain/object-status.js';

export interface CanaryObjects {
  /** Every CanaryDeployment, in the given namespaces or all of them: one LIST per namespace (or one). */
  list(namespaces?: string[]): Promise<CanaryObject[]>;
  /** One object; undefined when it does not exist. */
  get(namespace: string, name: string): Promise<CanaryObject | undefined>;
  /** Creates the object standing for a rollout started elsewhere, labelled as created by the engine. */
  create(document: unknown, rolloutId: string): Promise<void>;
  /** Replaces the object's status (merge patch on /status); a missing object is nothing to write. */
  writeStatus(namespace: string, name: string, status: ObjectStatus): Promise<void>;
  /** A Kubernetes Event on the object (`kubectl describe` shows it); best effort. */
  recordEvent(namespace: string, name: string, uid: string, event: { type: 'Normal' | 'Warning'; reason: string; message: string }): Promise<void>;
}
