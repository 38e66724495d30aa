/**
 * Facts about the target Deployment that decide() needs to notice what a person or another controller did
 * mid-rollout (all pure): a hash of its pod template (a hand edit changes it), why its own rollout failed
 * (a promotion that cannot finish), and who last wrote the rolled container's image (a promotion fight
 * names the other writer).
 */
import { createHash } from 'node:crypto';
import type { V1Deployment } from '@kubernetes/client-node';
import { z } from 'zod';

/** JSON with object keys sorted at every level, so the same template always gives the same text. */
export function canonicalJson(value: unknown): string {
  const norm = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(norm)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, norm(x)]))
        : v;
  return JSON.stringify(norm(value)) ?? 'null';
}

/** 16 hex characters of sha256 over the canonical JSON of `spec.template`. */
export function templateHash(target: V1Deployment): string {
  return createHash('sha256').update(canonicalJson(target.spec?.template ?? null)).digest('hex').slice(0, 16);
}

const conditions = z.array(z.looseObject({ type: z.string(), status: z.string(), reason: z.string().optional(), message: z.string().optional() }));

/**
 * `"<reason>: <message>"` when the target's own rollout has failed: Progressing=False with
 * ProgressDeadlineExceeded (new pods never became available in time), or ReplicaFailure=True (pods cannot
 * even be created: quota, admission). Undefined while it is fine or still progressing.
 */
export function targetFailure(target: V1Deployment): string | undefined {
  const parsed = conditions.safeParse(target.status?.conditions ?? []);
  if (!parsed.success) return undefined;
  const failed = parsed.data.find((c) => (c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded')
    || (c.type === 'ReplicaFailure' && c.status === 'True'));
  return failed ? `${failed.reason ?? failed.type}: ${failed.message ?? ''}`.trimEnd() : undefined;
}

const managedFields = z.array(z.looseObject({ manager: z.string().optional(), time: z.string().optional(), fieldsV1: z.unknown().optional() }));
const fieldSet = z.record(z.string(), z.unknown());

/** The child of a fieldsV1 set under `key`, if it is a set itself. */
function child(set: unknown, key: string): Record<string, unknown> | undefined {
  const parsed = fieldSet.safeParse(set);
  if (!parsed.success) return undefined;
  const found = parsed.data[key];
  const sub = fieldSet.safeParse(found);
  return sub.success ? sub.data : undefined;
}

/** A list item keyed by name in fieldsV1: `k:{"name":"app"}` (the key is JSON; do not rely on its spacing). */
function containerEntry(containers: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  for (const key of Object.keys(containers)) {
    if (!key.startsWith('k:')) continue;
    try {
      const id: unknown = JSON.parse(key.slice(2));
      if (typeof id === 'object' && id !== null && 'name' in id && id.name === name) return child(containers, key);
    } catch {
      continue;
    }
  }
  return undefined;
}

/**
 * The field manager that owns `spec.template.spec.containers[name=<container>].image` in managedFields;
 * when several do (shared ownership after identical applies), the one that wrote last.
 */
export function imageManagerOf(target: V1Deployment, container: string): string | undefined {
  const parsed = managedFields.safeParse(target.metadata?.managedFields ?? []);
  if (!parsed.success) return undefined;
  const owners = parsed.data.filter((entry) => {
    const containers = child(child(child(child(entry.fieldsV1, 'f:spec'), 'f:template'), 'f:spec'), 'f:containers');
    const item = containers && containerEntry(containers, container);
    return item !== undefined && 'f:image' in item;
  });
  const at = (time: string | undefined) => Date.parse(time ?? '') || 0;
  owners.sort((a, b) => at(b.time) - at(a.time));
  return owners[0]?.manager;
}
