import type { AuditEventDraft } from '../domain/commands.js';
import type { RolloutState } from '../domain/state.js';
import type { Dependencies } from './dependencies.js';
import { log } from '../log.js';

/** Notifications never fail a tick or an action: a notifier fault is logged and dropped. */
export async function notifyBestEffort(deps: Pick<Dependencies, 'notifier'>, state: RolloutState, events: AuditEventDraft[]): Promise<void> {
  if (events.length === 0) return;
  try {
    await deps.notifier.notify(state, events);
  } catch (error) {
    log.warn('notification failed', { rolloutId: state.id, error: error instanceof Error ? error.message : String(error) });
  }
}

/** Mirrors the status into the cluster; like notifications, a failure is logged and dropped. */
export async function mirrorBestEffort(deps: Pick<Dependencies, 'statusMirror'>, state: RolloutState): Promise<void> {
  if (!deps.statusMirror) return;
  try {
    await deps.statusMirror.mirror(state);
  } catch (error) {
    log.warn('status mirror failed', { rolloutId: state.id, error: error instanceof Error ? error.message : String(error) });
  }
}
