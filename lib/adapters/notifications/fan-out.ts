import type { AuditEventDraft } from '../../domain/commands.js';
import type { RolloutState } from '../../domain/state.js';
import type { Notifier } from '../../ports/notifier.js';
import { log } from '../../log.js';

/** Several notifiers side by side (log lines, the delivery queue, ...); one failing does not stop the others. */
export class FanOutNotifier implements Notifier {
  constructor(private readonly notifiers: Notifier[]) {}

  async notify(state: RolloutState, events: AuditEventDraft[]): Promise<void> {
    const results = await Promise.allSettled(this.notifiers.map((n) => n.notify(state, events)));
    for (const result of results) {
      if (result.status === 'rejected') log.warn('a notifier failed', { rolloutId: state.id, error: result.reason instanceof Error ? result.reason.message : String(result.reason) });
    }
  }
}
