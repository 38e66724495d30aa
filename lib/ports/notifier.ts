import type { AuditEventDraft } from '../domain/commands.js';
import type { RolloutState } from '../domain/state.js';

/** Best-effort notifications about rollout events; implementations never throw into a tick. */
export interface Notifier {
  notify(state: RolloutState, events: AuditEventDraft[]): Promise<void>;
}
