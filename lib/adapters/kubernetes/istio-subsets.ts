/**
 * Istio's DestinationRule: the `stable` and `canary` subsets the VirtualService's weights name.
 *
 * Stable selection (see stable-selection.ts): Istio subsets filter the endpoints of the host Service by
 * pod labels, so the Service is left as it is (narrowing it would empty the canary subset) and the
 * `stable` subset is narrowed instead, to `stableMatchLabels(target)` plus the target's current
 * `pod-template-hash`. The same write stores the subset's labels as they were (or `absent` when the
 * engine added the subset) in the DestinationRule's annotations; restoring puts them back. A subset the
 * engine added stays after the rollout, un-narrowed: the VirtualService's routes still name it.
 */
import { z } from 'zod';
import type { RolloutSpec } from '../../domain/spec.js';
import type { RolloutRef } from '../../ports/cluster.js';
import type { KubeClients } from './client.js';
import { call, callOptional, retryOnConflict, type ObjectRef } from './errors.js';
import { HASH_LABEL, isNarrowed, narrowed, restored, type Labels } from './stable-selection.js';
import { MANAGED_LABELS, parseObject, sameJson, unlessAbsent } from './traffic.js';
import { canaryMatchLabels, readTarget, stableMatchLabels } from './workload.js';

export const GROUP = 'networking.istio.io';
/** v1beta1 is served by every Istio since 1.5 and still by the newest; v1 only since 1.22. */
export const VERSION = 'v1beta1';

const subset = z.looseObject({ name: z.string(), labels: z.record(z.string(), z.string()).optional() });
const destinationRule = z.looseObject({
  metadata: z.looseObject({ resourceVersion: z.string().optional(), annotations: z.record(z.string(), z.string()).optional() }),
  spec: z.looseObject({ host: z.string(), subsets: z.array(subset).optional() }),
});
type Subset = z.infer<typeof subset>;
type DestinationRule = z.infer<typeof destinationRule>;

/** Subsets `stable` and `canary` with the given labels; other subsets and fields untouched (pure). */
export function withSubsets(subsets: Subset[], labels: { stable: Labels; canary: Labels }): Subset[] {
  const want = (name: string) => (name === 'stable' ? labels.stable : name === 'canary' ? labels.canary : undefined);
  const out = subsets.map((s) => { const l = want(s.name); return l ? { ...s, labels: l } : s; });
  for (const name of ['stable', 'canary']) if (!out.some((s) => s.name === name)) out.push({ name, labels: want(name) ?? {} });
  return out;
}

/** The DestinationRule with `stable` narrowed to `hash` and `canary` on canary pods, and how to undo it (pure). */
export function narrowedRule(dr: DestinationRule, rollout: RolloutRef, labels: { stable: Labels; canary: Labels }): DestinationRule {
  const stable = (dr.spec.subsets ?? []).find((s) => s.name === 'stable');
  const next = narrowed(stable ? stable.labels ?? {} : null, dr.metadata.annotations, rollout.id, () => labels.stable);
  return {
    ...dr,
    metadata: { ...dr.metadata, annotations: next.annotations },
    spec: { ...dr.spec, subsets: withSubsets(dr.spec.subsets ?? [], { stable: next.labels, canary: labels.canary }) },
  };
}

/** The DestinationRule with `stable` as before the narrowing and the engine's annotations gone (pure). */
export function restoredRule(dr: DestinationRule): DestinationRule | undefined {
  const subsets = dr.spec.subsets ?? [];
  const stable = subsets.find((s) => s.name === 'stable');
  const back = restored(stable?.labels ?? null, dr.metadata.annotations);
  if (!back) return undefined;
  const { annotations: _a, ...meta } = dr.metadata;
  return {
    ...dr,
    metadata: { ...meta, ...(back.annotations ? { annotations: back.annotations } : {}) },
    spec: { ...dr.spec, subsets: subsets.map((s) => (s.name === 'stable' ? { ...s, labels: back.labels } : s)) },
  };
}

export function destinationRules(kube: KubeClients) {
  const { cluster } = kube;
  const ref = (spec: RolloutSpec): ObjectRef => ({ kind: 'DestinationRule', resource: `destinationrules.${GROUP}`, namespace: spec.namespace, name: spec.trafficRouting.destinationRule });
  const api = (spec: RolloutSpec) => ({ group: GROUP, version: VERSION, namespace: spec.namespace, plural: 'destinationrules', name: spec.trafficRouting.destinationRule });
  const read = async (spec: RolloutSpec) => {
    const raw = await callOptional(cluster, 'get', ref(spec), () => kube.custom.read(api(spec)));
    return raw === undefined ? undefined : parseObject(cluster, destinationRule, raw, `DestinationRule ${spec.namespace}/${spec.trafficRouting.destinationRule}`);
  };
  const replace = (spec: RolloutSpec, body: DestinationRule) => call(cluster, 'update', ref(spec), () => kube.custom.replace({ ...api(spec), body }));

  return {
    /**
     * Subsets first: a route naming a subset the DestinationRule lacks makes Envoy answer 503. Creates the
     * DestinationRule when there is none (the engine's, labelled as such).
     */
    async narrow(rollout: RolloutRef, hash: string): Promise<void> {
      const { spec } = rollout;
      const target = await readTarget(kube, spec);
      const labels = { stable: { ...stableMatchLabels(target), [HASH_LABEL]: hash }, canary: canaryMatchLabels(target) };
      await retryOnConflict(cluster, ref(spec), async () => {
        const dr = await read(spec) ?? { metadata: { labels: MANAGED_LABELS }, spec: { host: spec.trafficRouting.stableService } };
        const next = narrowedRule(dr, rollout, labels);
        if (dr.metadata.resourceVersion === undefined) {
          const body = { apiVersion: `${GROUP}/${VERSION}`, kind: 'DestinationRule', ...next, metadata: { ...next.metadata, name: ref(spec).name, namespace: spec.namespace } };
          await call(cluster, 'create', ref(spec), () => kube.custom.create({ ...api(spec), body }));
          return;
        }
        if (sameJson(next, dr)) return;
        await replace(spec, next);
      });
    },

    /** Idempotent; a missing DestinationRule or CRD is nothing to undo. */
    async restore({ spec }: RolloutRef): Promise<void> {
      await unlessAbsent(() => retryOnConflict(cluster, ref(spec), async () => {
        const dr = await read(spec);
        const back = dr && restoredRule(dr);
        if (back) await replace(spec, back);
      }));
    },

    /** Whether `stable` carries the engine's narrowing; false when there is no DestinationRule (or CRD). */
    async narrowed({ spec }: RolloutRef): Promise<boolean> {
      const dr = await unlessAbsent(() => read(spec));
      return dr !== undefined && isNarrowed(dr.metadata.annotations);
    },
  };
}
