/**
 * The Slack messages of approvals, as Block Kit: the request with Approve/Reject buttons, and the
 * outcome that replaces it once someone pressed. Pure functions, so they are unit-tested directly.
 */
import { z } from 'zod';
import type { RolloutState } from '../../domain/state.js';

export const APPROVE_ACTION = 'codedance_approve';
export const REJECT_ACTION = 'codedance_reject';

export type Gate = number | 'promotion';

/** The button value: which rollout and which gate the person saw, so a stale button is caught. */
export const buttonValueSchema = z.object({ rolloutId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), gate: z.union([z.number().int().min(0), z.literal('promotion')]) });
export type ButtonValue = z.infer<typeof buttonValueSchema>;

/** "step 2/3 at 50%" or "promotion". */
export function gateLabel(state: Pick<RolloutState, 'spec'>, gate: Gate): string {
  if (gate === 'promotion') return 'promotion';
  return `step ${gate + 1}/${state.spec.steps.length} at ${state.spec.steps[gate]?.weight ?? '?'}%`;
}

/** Slack's mrkdwn treats &, < and > as markup; names and messages from specs are escaped. */
export const escapeMrkdwn = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function approvalRequestMessage(state: RolloutState, gate: Gate): { text: string; blocks: unknown[] } {
  const { spec } = state;
  const label = gateLabel(state, gate);
  const score = state.analysis.last?.score;
  const text = `Approval needed: ${spec.name} (${spec.namespace}/${spec.targetDeployment} → ${spec.canaryImage}), ${label}`;
  const value = JSON.stringify({ rolloutId: state.id, gate } satisfies ButtonValue);
  const button = (actionId: string, label_: string, style: 'primary' | 'danger') => ({
    type: 'button', action_id: actionId, style, value, text: { type: 'plain_text', text: label_ },
  });
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*Approval needed: ${escapeMrkdwn(spec.name)}* — ${escapeMrkdwn(label)}` } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*Target*\n${escapeMrkdwn(`${spec.cluster}/${spec.namespace}/${spec.targetDeployment}`)}` },
          { type: 'mrkdwn', text: `*Image*\n${escapeMrkdwn(spec.canaryImage)}` },
          { type: 'mrkdwn', text: `*Gate*\n${escapeMrkdwn(label)}` },
          { type: 'mrkdwn', text: `*Canary weight*\n${state.canaryWeight}%` },
          { type: 'mrkdwn', text: `*Health score*\n${typeof score === 'number' ? String(Math.round(score)) : 'n/a (no conclusive analysis yet)'}` },
          { type: 'mrkdwn', text: `*Rollout*\n${escapeMrkdwn(state.id)}` },
        ],
      },
      { type: 'actions', block_id: 'codedance_gate', elements: [button(APPROVE_ACTION, 'Approve', 'primary'), button(REJECT_ACTION, 'Reject', 'danger')] },
    ],
  };
}

/**
 * The original message with its buttons removed and the outcome appended, so nobody presses a
 * decided gate again. Blocks of the original are kept as Slack sent them (they are our own).
 */
export function outcomeMessage(original: { text?: string | undefined; blocks?: unknown[] | undefined } | undefined, outcome: string): { text: string; blocks: unknown[] } {
  const kept = (original?.blocks ?? []).filter((block) => !(typeof block === 'object' && block !== null && 'type' in block && block.type === 'actions'));
  return {
    text: `${original?.text ? `${original.text}: ` : ''}${outcome}`,
    blocks: [...kept, { type: 'section', text: { type: 'mrkdwn', text: outcome } }],
  };
}
