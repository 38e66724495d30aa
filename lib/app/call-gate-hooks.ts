import type { HookResults } from '../domain/commands.js';
import type { HookType } from '../domain/spec.js';
import { isTerminal } from '../domain/phases.js';
import type { RolloutState } from '../domain/state.js';
import { log } from '../log.js';
import type { Dependencies } from './dependencies.js';

/** The context every gate hook receives. */
function payload(state: RolloutState): Record<string, unknown> {
  const { spec } = state;
  return {
    rolloutId: state.id, name: spec.name, namespace: spec.namespace, cluster: spec.cluster, targetDeployment: spec.targetDeployment,
    canaryImage: spec.canaryImage, phase: state.phase, step: state.stepIndex + 1, steps: spec.steps.length, weight: state.canaryWeight,
    ...(state.pause?.gate !== undefined ? { gate: state.pause.gate === 'promotion' ? 'promotion' : state.pause.gate + 1 } : {}),
    ...(state.failure ? { failure: state.failure } : {}),
  };
}

/** Calls every hook of `type` in parallel and collects their answers for decide(). */
export async function callGateHooks(deps: Pick<Dependencies, 'gateHooks'>, state: RolloutState, type: HookResults['type']): Promise<HookResults> {
  const hooks = state.spec.webhooks.filter((h) => h.type === type);
  const results = await Promise.all(hooks.map(async (hook) => ({
    name: hook.name,
    ...(deps.gateHooks ? await deps.gateHooks.call(hook, payload(state)) : { ok: false, detail: 'no gate hook caller is configured' }),
  })));
  return { type, results };
}

/** post-rollout hooks are told once, when a rollout has just ended; their answer changes nothing. */
export async function announceEnd(deps: Pick<Dependencies, 'gateHooks'>, before: RolloutState, after: RolloutState): Promise<void> {
  if (isTerminal(before.phase) || !isTerminal(after.phase) || !deps.gateHooks) return;
  const type: HookType = 'post-rollout';
  for (const hook of after.spec.webhooks.filter((h) => h.type === type)) {
    const answer = await deps.gateHooks.call(hook, payload(after));
    if (!answer.ok) log.warn('post-rollout hook failed', { rolloutId: after.id, hook: hook.name, detail: answer.detail });
  }
}
