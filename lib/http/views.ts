import type { RolloutState } from '../domain/state.js';

/** The API's view of a rollout: status first, then the normalised spec and the original document. */
export function rolloutView(state: RolloutState) {
  const { spec } = state;
  return {
    id: state.id,
    name: spec.name,
    namespace: spec.namespace,
    cluster: spec.cluster,
    targetDeployment: spec.targetDeployment,
    canaryImage: spec.canaryImage,
    phase: state.phase,
    ...(state.pause ? { pause: state.pause } : {}),
    ...(state.failure ? { failure: state.failure } : {}),
    message: state.message,
    step: { index: state.stepIndex, number: state.stepIndex + 1, total: spec.steps.length },
    canaryWeight: state.canaryWeight,
    analysis: state.analysis,
    approvals: state.approvals,
    version: state.version,
    createdAt: state.createdAt,
    createdBy: state.createdBy,
    updatedAt: state.updatedAt,
    ...(state.nextTickAt ? { nextTickAt: state.nextTickAt } : {}),
    ...(state.releaseId ? { releaseId: state.releaseId } : {}),
    spec,
    document: state.document,
  };
}
