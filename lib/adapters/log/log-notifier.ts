import type { AuditEventDraft } from '../../domain/commands.js';
import type { RolloutState } from '../../domain/state.js';
import type { Notifier } from '../../ports/notifier.js';
import { log } from '../../log.js';

/** Writes rollout events as structured log lines (CloudWatch on AWS); the default destination. */
export class LogNotifier implements Notifier {
  async notify(state: RolloutState, events: AuditEventDraft[]): Promise<void> {
    for (const event of events) {
      log.info('rollout event', { rolloutId: state.id, rollout: state.spec.name, phase: state.phase, type: event.type, message: event.message });
    }
  }
}
