import type { AuditEventDraft } from '../domain/commands.js';
import type { RolloutState } from '../domain/state.js';
import type { Dependencies } from './dependencies.js';
import { log } from '../log.js';

/** Side effects that must never fail a tick or an action: a fault is logged and dropped. */
async function bestEffort(what: string, state: RolloutState, effect: () => Promise<void>): Promise<void> {
  try {
    await effect();
  } catch (error) {
    log.warn(`${what} failed`, { rolloutId: state.id, error: error instanceof Error ? error.message : String(error) });
  }
}

export async function notifyBestEffort(deps: Pick<Dependencies, 'notifier'>, state: RolloutState, events: AuditEventDraft[]): Promise<void> {
  if (events.length > 0) await bestEffort('notification', state, () => deps.notifier.notify(state, events));
}

/** Mirrors the status into the cluster's CanaryDeployment object. */
export async function mirrorBestEffort(deps: Pick<Dependencies, 'statusMirror'>, state: RolloutState): Promise<void> {
  const mirror = deps.statusMirror;
  if (mirror) await bestEffort('status mirror', state, () => mirror.mirror(state));
}

/**
 * One source of truth: a rollout started over HTTP, the CLI or a release gets its CanaryDeployment object
 * in the cluster, labelled as created by the engine, so `kubectl get canarydeployment -A` shows every
 * rollout; the cluster sync adopts such an object and never starts a second rollout for it.
 */
export async function createObjectBestEffort(deps: Pick<Dependencies, 'canaryObjects'>, state: RolloutState): Promise<void> {
  const objects = deps.canaryObjects;
  if (objects && !state.source) await bestEffort('CanaryDeployment object', state, () => objects(state.spec.cluster).create(state.document, state.id));
}
