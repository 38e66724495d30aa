/**
 * A CanaryDeployment as the apiserver sends it (a LIST or GET item, or the object inside an admission
 * review) turned into the port's CanaryObject. Pure; shared by the adapter and the webhook's edge so both
 * read an object the same way.
 */
import { z } from 'zod';
import { CONDITION_TYPES, type ObjectCondition } from '../../domain/object-status.js';
import type { CanaryObject } from '../../ports/canary-objects.js';

export const GROUP = 'deploy.codedance.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'CanaryDeployment';
/** kubectl's copy of the whole applied object: not part of the spec, and it would double the stored document. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export const stringMap = z.record(z.string(), z.string());
const conditionSchema = z.object({
  type: z.enum(CONDITION_TYPES),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string().default(''),
  lastTransitionTime: z.string(),
  observedGeneration: z.number().int().optional(),
});
/** What the engine wrote to the status before; anything malformed there is simply rewritten. */
const statusSchema = z.object({
  observedGeneration: z.number().int().optional().catch(undefined),
  rolloutId: z.string().optional().catch(undefined),
  conditions: z.array(z.unknown()).optional().catch(undefined),
}).catch({});

/** The fields read from an object, its metadata already validated by the caller's schema. */
export interface ObjectParts {
  apiVersion?: string | undefined;
  metadata: {
    name: string; namespace: string; uid: string; generation: number;
    labels?: Record<string, string> | undefined; annotations?: Record<string, string> | undefined; deletionTimestamp?: string | undefined;
  };
  spec?: unknown;
  status?: unknown;
}

export function canaryObjectOf(cluster: string, item: ObjectParts): CanaryObject {
  const { metadata, spec } = item;
  const labels = metadata.labels ?? {};
  const annotations = metadata.annotations ?? {};
  const { [LAST_APPLIED]: _lastApplied, ...documentAnnotations } = annotations;
  const status = statusSchema.parse(item.status ?? {});
  const conditions = status.conditions?.flatMap((c): ObjectCondition[] => {
    const parsed = conditionSchema.safeParse(c);
    return parsed.success ? [parsed.data] : [];
  });
  const hasStatus = status.observedGeneration !== undefined || status.rolloutId !== undefined || conditions !== undefined;
  return {
    cluster, namespace: metadata.namespace, name: metadata.name, uid: metadata.uid, generation: metadata.generation, labels, annotations,
    document: {
      apiVersion: item.apiVersion ?? API_VERSION,
      kind: KIND,
      metadata: {
        name: metadata.name,
        namespace: metadata.namespace,
        ...(metadata.labels ? { labels } : {}),
        ...(Object.keys(documentAnnotations).length > 0 ? { annotations: documentAnnotations } : {}),
      },
      spec,
    },
    deleting: metadata.deletionTimestamp !== undefined,
    ...(hasStatus ? {
      status: {
        ...(status.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}),
        ...(status.rolloutId !== undefined ? { rolloutId: status.rolloutId } : {}),
        ...(conditions !== undefined ? { conditions } : {}),
      },
    } : {}),
  };
}
