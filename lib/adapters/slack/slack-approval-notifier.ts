import { z } from 'zod';
import type { AuditEventDraft } from '../../domain/commands.js';
import type { RolloutState } from '../../domain/state.js';
import type { Notifier } from '../../ports/notifier.js';
import { log } from '../../log.js';
import { approvalRequestMessage } from './messages.js';
import type { SlackApi } from './slack-api.js';

const gateData = z.object({ gate: z.union([z.number().int().min(0), z.literal('promotion')]) });

/**
 * Posts an approval request with Approve/Reject buttons to the rollout's Slack channel whenever a
 * gate opens (an `ApprovalRequested` event) and the spec names `approvals.slack`. Every other event
 * goes on to `alongside` (the general notifier), so this adds Slack buttons without replacing it.
 * Best effort: a Slack fault is logged (without the token) and never reaches the tick.
 */
export class SlackApprovalNotifier implements Notifier {
  constructor(private readonly slack: Pick<SlackApi, 'postMessage'>, private readonly alongside?: Notifier) {}

  async notify(state: RolloutState, events: AuditEventDraft[]): Promise<void> {
    await Promise.all([this.postApprovalRequests(state, events), this.passOn(state, events)]);
  }

  private async postApprovalRequests(state: RolloutState, events: AuditEventDraft[]): Promise<void> {
    const slack = state.spec.approvalSlack;
    if (!slack) return;
    for (const event of events) {
      if (event.type !== 'ApprovalRequested') continue;
      const parsed = gateData.safeParse(event.data);
      if (!parsed.success) continue;
      const { text, blocks } = approvalRequestMessage(state, parsed.data.gate);
      try {
        const posted = await this.slack.postMessage(slack.channel, text, blocks);
        log.info('slack approval request posted', { rolloutId: state.id, gate: parsed.data.gate, channel: posted.channel, ts: posted.ts });
      } catch (error) {
        log.warn('slack approval request failed', { rolloutId: state.id, gate: parsed.data.gate, channel: slack.channel, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  private async passOn(state: RolloutState, events: AuditEventDraft[]): Promise<void> {
    if (!this.alongside) return;
    try {
      await this.alongside.notify(state, events);
    } catch (error) {
      log.warn('notification failed', { rolloutId: state.id, error: error instanceof Error ? error.message : String(error) });
    }
  }
}
