import { GENESIS_HASH } from '../domain/audit-chain.js';
import { parseCanaryDeployment } from '../domain/spec.js';
import type { Actor, RolloutState } from '../domain/state.js';
import type { Dependencies } from './dependencies.js';
import { notifyBestEffort } from './notify.js';
import { scheduleTick } from './schedule-tick.js';

export interface StartRolloutInput {
  /** The CanaryDeployment document, already parsed from YAML or JSON but not validated. */
  document: unknown;
  actor: Actor;
  releaseId?: string;
  /** A fixed id (a release's item); a second start with the same id fails instead of making a twin. */
  id?: string;
  /** The CanaryDeployment object (and generation) a cluster sync started this rollout from. */
  source?: RolloutState['source'];
}

/**
 * Starts a rollout: validates the document, checks the cluster is known, records the rollout in
 * phase Initializing (failing with 409 if its target already has an active one) and enqueues tick 0.
 * A crash between the record and the enqueue is repaired by the sweeper, which finds the rollout due.
 */
export async function startRollout(deps: Dependencies, input: StartRolloutInput): Promise<RolloutState> {
  const { document, spec } = parseCanaryDeployment(input.document);
  deps.clusters.get(spec.cluster); // throws UnknownClusterError naming the registered clusters
  const now = deps.clock.now();
  const at = now.toISOString();
  const state: RolloutState = {
    id: input.id ?? deps.newId(),
    version: 1,
    tickSeq: 0,
    phase: 'Initializing',
    stepIndex: -1,
    canaryWeight: 0,
    phaseSince: at,
    nextTickAt: at,
    analysis: { failures: 0, consecutiveInconclusive: 0 },
    approvals: [],
    message: `Creating canary ${spec.targetDeployment}-canary with ${spec.canaryImage}`,
    createdAt: at,
    updatedAt: at,
    createdBy: input.actor,
    auditHead: { count: 0, hash: GENESIS_HASH },
    ...(input.releaseId ? { releaseId: input.releaseId } : {}),
    ...(input.source ? { source: input.source } : {}),
    spec,
    document,
  };
  const steps = spec.steps.map((s) => `${s.weight}%${s.approval ? ' (approval)' : ''}`).join(' → ');
  const events = [{
    type: 'RolloutStarted', at, actor: input.actor,
    message: `Rollout of ${spec.canaryImage} to ${spec.cluster}/${spec.namespace}/${spec.targetDeployment} started: ${steps}`,
    data: { steps: spec.steps, strategy: spec.strategy, ...(input.source ? { source: input.source } : {}) },
  }];
  const stored = await deps.store.create(state, events);
  await scheduleTick(deps, stored, now);
  await notifyBestEffort(deps, stored, events);
  return stored;
}
